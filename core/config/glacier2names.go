package config

import "strings"

// glacier2Properties are the patterns of every Glacier2.* property Ice 3.7
// knows (Ice's PropertyNames), so an unknown name can be told from one
// floe does not implement yet. A '*' matches one or more characters.
var glacier2Properties = func() []string {
	var names []string
	add := func(prefix string, suffixes ...string) {
		for _, s := range suffixes {
			names = append(names, prefix+s)
		}
	}
	proxy := func(p string) {
		add(p+".", "EndpointSelection", "ConnectionCached", "PreferSecure", "LocatorCacheTimeout",
			"InvocationTimeout", "Locator", "Router", "CollocationOptimized", "Context.*")
		names = append(names, p)
	}
	adapter := func(a string) {
		add(a+".", "ACM.Timeout", "ACM.Heartbeat", "ACM.Close", "ACM", "AdapterId", "Endpoints")
		proxy(a + ".Locator")
		add(a+".", "PublishedEndpoints", "ReplicaGroupId")
		proxy(a + ".Router")
		add(a+".", "ProxyOptions", "ThreadPool.Size", "ThreadPool.SizeMax", "ThreadPool.SizeWarn",
			"ThreadPool.StackSize", "ThreadPool.Serialize", "ThreadPool.ThreadIdleTime",
			"ThreadPool.ThreadPriority", "MessageSizeMax", "AlwaysBatch", "Buffered", "ForwardContext",
			"SleepTime", "Trace.Override")
	}
	add("Glacier2.", "AddConnectionContext")
	adapter("Glacier2.Client")
	add("Glacier2.Client.", "Trace.Reject", "Trace.Request")
	add("Glacier2.", "CryptPasswords", "Filter.Address.Reject", "Filter.Address.Accept",
		"Filter.ProxySizeMax", "Filter.Category.Accept", "Filter.Category.AcceptUser",
		"Filter.AdapterId.Accept", "Filter.Identity.Accept", "InstanceName")
	proxy("Glacier2.PermissionsVerifier")
	add("Glacier2.", "ReturnClientProxy")
	proxy("Glacier2.SSLPermissionsVerifier")
	add("Glacier2.", "RoutingTable.MaxSize")
	adapter("Glacier2.Server")
	add("Glacier2.Server.", "Trace.Request")
	proxy("Glacier2.SessionManager")
	proxy("Glacier2.SSLSessionManager")
	add("Glacier2.", "SessionTimeout", "Trace.RoutingTable", "Trace.Session")
	return names
}()

// knownGlacier2Property returns the Glacier2 property pattern key matches,
// and, failing that, one it matches but for letter case (Ice's "did you
// mean"), with exact false.
func knownGlacier2Property(key string) (pattern string, exact bool) {
	for _, p := range glacier2Properties {
		if matchPattern(key, p) {
			return p, true
		}
	}
	for _, p := range glacier2Properties {
		if matchPattern(strings.ToUpper(key), strings.ToUpper(p)) {
			return p, false
		}
	}
	return "", false
}

// matchPattern is Ice's property pattern match: without '*', equality;
// with one, the parts before and after it match and it stands for at least
// one character.
func matchPattern(s, pattern string) bool {
	before, after, wild := strings.Cut(pattern, "*")
	if !wild {
		return s == pattern
	}
	return len(s) > len(before)+len(after) && strings.HasPrefix(s, before) && strings.HasSuffix(s, after)
}
