package sdk

import (
	"strconv"
	"strings"
)

// The fields a cached verdict may depend on (Verdict.CacheKey). A verdict
// with CacheFor > 0 is reused, without asking the hook, for later requests
// at the same point whose key fields all have the same values; with no key
// field it is reused for every request at that point.
const (
	KeyIdentity  = "identity"  // the stringified identity
	KeyCategory  = "category"  // the identity's category
	KeyFacet     = "facet"     //
	KeyOperation = "operation" //
	KeyMode      = "mode"      // normal, nonmutating, idempotent
	KeyOneway    = "oneway"    //
	KeyTarget    = "target"    // the stringified target proxy
	KeyUser      = "user"      // the session's user
	KeySession   = "session"   // the session's id
	KeyRemote    = "remote"    // the client connection's remote address
	// KeyContext + "name" is one context entry, KeyAttribute + "name" one
	// session attribute.
	KeyContext   = "context."
	KeyAttribute = "attribute."
)

// ValidCacheKey reports whether f names a key field.
func ValidCacheKey(f string) bool {
	switch f {
	case KeyIdentity, KeyCategory, KeyFacet, KeyOperation, KeyMode, KeyOneway, KeyTarget, KeyUser, KeySession, KeyRemote:
		return true
	}
	return strings.HasPrefix(f, KeyContext) && len(f) > len(KeyContext) ||
		strings.HasPrefix(f, KeyAttribute) && len(f) > len(KeyAttribute)
}

// AppendCacheKey appends to b the values of fields in v, each
// length-prefixed so that no two different requests share a key. ok is
// false when a field is unknown.
func AppendCacheKey(b []byte, v RequestView, fields []string) (_ []byte, ok bool) {
	for _, f := range fields {
		var s string
		switch f {
		case KeyIdentity:
			s = v.IdentityString()
		case KeyCategory:
			s = v.Identity().Category
		case KeyFacet:
			s = v.Facet()
		case KeyOperation:
			s = v.Operation()
		case KeyMode:
			s = v.Mode().String()
		case KeyOneway:
			s = strconv.FormatBool(v.Oneway())
		case KeyTarget:
			s = v.Target()
		case KeyUser, KeySession:
			if sess := v.Session(); sess != nil {
				s = sess.User
				if f == KeySession {
					s = sess.ID
				}
			}
		case KeyRemote:
			if c := v.Connection(); c != nil {
				s = c.RemoteAddress
			}
		default:
			switch {
			case strings.HasPrefix(f, KeyContext) && len(f) > len(KeyContext):
				var present bool
				s, present = v.ContextValue(f[len(KeyContext):])
				if !present {
					b = append(b, 0xff) // absent differs from empty
				}
			case strings.HasPrefix(f, KeyAttribute) && len(f) > len(KeyAttribute):
				if sess := v.Session(); sess != nil {
					var present bool
					s, present = sess.Attributes[f[len(KeyAttribute):]]
					if !present {
						b = append(b, 0xff)
					}
				}
			default:
				return b, false
			}
		}
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, ':')
		b = append(b, s...)
	}
	return b, true
}
