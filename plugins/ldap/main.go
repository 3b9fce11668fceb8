// Command floe-plugin-ldap is floe's LDAP plugin: an Authenticator that
// finds the user's entry with a search, binds as it with the password
// given to createSession, and maps the user's groups and chosen entry
// attributes to session attributes. TLS: ldaps:// URLs, or start_tls on
// ldap://.
//
//	plugin "ldap" {
//	  path     = "bin/floe-plugin-ldap"
//	  on_error = "deny"                    # the directory is down: refuse
//	  config {
//	    url           = "ldaps://ldap.example.org"
//	    ca_file       = "ldap-ca.pem"
//	    bind_dn       = "cn=floe,ou=services,dc=example,dc=org"
//	    bind_password = "..."
//	    base_dn       = "ou=people,dc=example,dc=org"
//	    user_filter   = "(uid={user})"
//	    group_base_dn = "ou=groups,dc=example,dc=org"
//	    attributes    = { mail = "mail" }  # session attribute = entry attribute
//	  }
//	}
//
// A wrong password or an unknown user is refused ("permission denied", as
// Glacier2); a directory that cannot be reached is an error, so the
// plugin's on_error policy decides. Like every floe plugin it imports only
// floe's sdk/.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/floe-router/floe/sdk"
	"github.com/floe-router/floe/sdk/plugin"
	"github.com/go-ldap/ldap/v3"
	"github.com/hashicorp/go-hclog"
)

func main() { plugin.Serve(Plugin()) }

// Plugin is the plugin's declaration.
func Plugin() plugin.Plugin {
	return plugin.Plugin{
		Points: sdk.PointsOf(sdk.Authenticate),
		Schema: sdk.Schema{Attributes: []sdk.Attribute{
			{Name: "url", Type: sdk.TypeString, Required: true, Description: "ldap://HOST[:PORT] or ldaps://HOST[:PORT]"},
			{Name: "start_tls", Type: sdk.TypeBool, Description: "upgrade an ldap:// connection with StartTLS"},
			{Name: "ca_file", Type: sdk.TypeString, Description: "PEM authorities to verify the directory with (default: the system's)"},
			{Name: "insecure_skip_verify", Type: sdk.TypeBool, Description: "do not verify the directory's certificate (testing only)"},
			{Name: "bind_dn", Type: sdk.TypeString, Description: "the account that searches (default: anonymous)"},
			{Name: "bind_password", Type: sdk.TypeString},
			{Name: "base_dn", Type: sdk.TypeString, Required: true, Description: "where users are searched"},
			{Name: "user_filter", Type: sdk.TypeString, Description: `finds the user; {user} is replaced, escaped (default "(uid={user})")`},
			{Name: "group_base_dn", Type: sdk.TypeString, Description: "where groups are searched (no groups without it)"},
			{Name: "group_filter", Type: sdk.TypeString, Description: `finds the user's groups; {dn} and {user} are replaced (default "(|(member={dn})(uniqueMember={dn})(memberUid={user}))")`},
			{Name: "group_name_attribute", Type: sdk.TypeString, Description: `the group attribute that names it (default "cn")`},
			{Name: "groups_session_attribute", Type: sdk.TypeString, Description: `the session attribute listing the groups, comma-separated (default "groups")`},
			{Name: "required_groups", Type: sdk.TypeStringList, Description: "refuse users in none of these groups"},
			{Name: "attributes", Type: sdk.TypeStringMap, Description: "session attributes from entry attributes: { session_name = \"ldapAttribute\" }"},
			{Name: "timeout", Type: sdk.TypeDuration, Description: "bounds each directory operation (default 5s, and never past floe's deadline)"},
		}},
		New: newAuthenticator,
	}
}

type settings struct {
	URL                string            `json:"url"`
	StartTLS           bool              `json:"start_tls"`
	CAFile             string            `json:"ca_file"`
	InsecureSkipVerify bool              `json:"insecure_skip_verify"`
	BindDN             string            `json:"bind_dn"`
	BindPassword       string            `json:"bind_password"`
	BaseDN             string            `json:"base_dn"`
	UserFilter         string            `json:"user_filter"`
	GroupBaseDN        string            `json:"group_base_dn"`
	GroupFilter        string            `json:"group_filter"`
	GroupNameAttribute string            `json:"group_name_attribute"`
	GroupsAttribute    string            `json:"groups_session_attribute"`
	RequiredGroups     []string          `json:"required_groups"`
	Attributes         map[string]string `json:"attributes"`
	Timeout            sdk.Duration      `json:"timeout"`
}

type authenticator struct {
	cfg settings
	tls *tls.Config
	log hclog.Logger
}

func newAuthenticator(c sdk.Config, log hclog.Logger) (sdk.Hook, error) {
	a := &authenticator{log: log}
	if err := c.Decode(&a.cfg); err != nil {
		return nil, err
	}
	cfg := &a.cfg
	var errs []error
	if !strings.HasPrefix(cfg.URL, "ldap://") && !strings.HasPrefix(cfg.URL, "ldaps://") {
		errs = append(errs, sdk.ConfigErrorf("url", "%q is not an ldap:// or ldaps:// URL", cfg.URL))
	}
	if cfg.StartTLS && strings.HasPrefix(cfg.URL, "ldaps://") {
		errs = append(errs, sdk.ConfigErrorf("start_tls", "start_tls is for ldap:// URLs; ldaps:// is TLS from the start"))
	}
	defaults := map[*string]string{&cfg.UserFilter: "(uid={user})", &cfg.GroupNameAttribute: "cn", &cfg.GroupsAttribute: "groups",
		&cfg.GroupFilter: "(|(member={dn})(uniqueMember={dn})(memberUid={user}))"}
	for p, d := range defaults {
		if *p == "" {
			*p = d
		}
	}
	if !strings.Contains(cfg.UserFilter, "{user}") {
		errs = append(errs, sdk.ConfigErrorf("user_filter", "the filter must contain {user}, or every user finds the same entry"))
	}
	for name, f := range map[string]string{"user_filter": cfg.UserFilter, "group_filter": cfg.GroupFilter} {
		if _, err := ldap.CompileFilter(strings.NewReplacer("{user}", "x", "{dn}", "x").Replace(f)); err != nil {
			errs = append(errs, sdk.ConfigErrorf(name, "%v", err))
		}
	}
	if cfg.BindDN != "" && cfg.BindPassword == "" {
		errs = append(errs, sdk.ConfigErrorf("bind_password", "bind_dn needs its password"))
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = sdk.Duration(5 * time.Second)
	}
	a.tls = &tls.Config{InsecureSkipVerify: cfg.InsecureSkipVerify, MinVersion: tls.VersionTLS12}
	if u, err := url.Parse(cfg.URL); err == nil {
		a.tls.ServerName = u.Hostname() // StartTLS needs it; ldaps:// sets it itself
	}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		pool := x509.NewCertPool()
		switch {
		case err != nil:
			errs = append(errs, sdk.ConfigErrorf("ca_file", "%v", err))
		case !pool.AppendCertsFromPEM(pem):
			errs = append(errs, sdk.ConfigErrorf("ca_file", "%s holds no PEM certificate", cfg.CAFile))
		}
		a.tls.RootCAs = pool
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return a, nil
}

func (a *authenticator) Points() sdk.Points { return sdk.PointsOf(sdk.Authenticate) }

const refused = "permission denied"

func refuse() sdk.AuthResult { return sdk.AuthResult{Decision: sdk.Refuse, Reason: refused} }

// OnAuthenticate searches the user, binds as it, then reads its groups.
func (a *authenticator) OnAuthenticate(ctx context.Context, r *sdk.AuthRequest) (sdk.AuthResult, error) {
	if r.Secure {
		return sdk.AuthResult{Decision: sdk.Abstain}, nil
	}
	// An empty password would be an unauthenticated bind, which LDAP
	// servers accept for any DN.
	if r.User == "" || r.Password == "" {
		return refuse(), nil
	}
	conn, err := a.dial(ctx)
	if err != nil {
		return sdk.AuthResult{}, err
	}
	defer conn.Close()
	if err := a.bindService(conn); err != nil {
		return sdk.AuthResult{}, err
	}
	entry, err := a.findUser(conn, r.User)
	if err != nil || entry == nil {
		return refuse(), err
	}
	if err := conn.Bind(entry.DN, r.Password); err != nil {
		if ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
			a.log.Debug("wrong password", "user", r.User)
			return refuse(), nil
		}
		return sdk.AuthResult{}, fmt.Errorf("ldap: binding as %s: %w", entry.DN, err)
	}
	attrs := map[string]string{}
	for session, ldapName := range a.cfg.Attributes {
		if v := entry.GetAttributeValues(ldapName); len(v) > 0 {
			attrs[session] = strings.Join(v, ",")
		}
	}
	if a.cfg.GroupBaseDN != "" {
		// Groups are read with the service account when there is one: the
		// user may not be allowed to.
		if err := a.bindService(conn); err != nil {
			return sdk.AuthResult{}, err
		}
		groups, err := a.groups(conn, r.User, entry.DN)
		if err != nil {
			return sdk.AuthResult{}, err
		}
		if len(a.cfg.RequiredGroups) > 0 && !slices.ContainsFunc(groups, func(g string) bool {
			return slices.Contains(a.cfg.RequiredGroups, g)
		}) {
			a.log.Info("user in none of the required groups", "user", r.User)
			return refuse(), nil
		}
		attrs[a.cfg.GroupsAttribute] = strings.Join(groups, ",")
	}
	return sdk.AuthResult{Decision: sdk.Allow, Attributes: attrs}, nil
}

// dial connects (and upgrades with StartTLS), within the plugin's timeout
// and floe's deadline.
func (a *authenticator) dial(ctx context.Context) (*ldap.Conn, error) {
	timeout := time.Duration(a.cfg.Timeout)
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < timeout {
		timeout = time.Until(dl)
	}
	conn, err := ldap.DialURL(a.cfg.URL, ldap.DialWithDialer(&net.Dialer{Timeout: timeout}), ldap.DialWithTLSConfig(a.tls))
	if err != nil {
		return nil, fmt.Errorf("ldap: %w", err)
	}
	conn.SetTimeout(timeout)
	if a.cfg.StartTLS {
		if err := conn.StartTLS(a.tls); err != nil {
			conn.Close()
			return nil, fmt.Errorf("ldap: StartTLS: %w", err)
		}
	}
	return conn, nil
}

func (a *authenticator) bindService(conn *ldap.Conn) error {
	var err error
	if a.cfg.BindDN != "" {
		err = conn.Bind(a.cfg.BindDN, a.cfg.BindPassword)
	} else {
		err = conn.UnauthenticatedBind("")
	}
	if err != nil {
		return fmt.Errorf("ldap: binding as %q: %w", a.cfg.BindDN, err)
	}
	return nil
}

// findUser returns the user's entry, or nil when there is not exactly one.
func (a *authenticator) findUser(conn *ldap.Conn, user string) (*ldap.Entry, error) {
	attrs := []string{"dn"}
	for _, v := range a.cfg.Attributes {
		attrs = append(attrs, v)
	}
	filter := strings.ReplaceAll(a.cfg.UserFilter, "{user}", ldap.EscapeFilter(user))
	res, err := conn.Search(ldap.NewSearchRequest(a.cfg.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
		2, 0, false, filter, attrs, nil))
	if err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
		return nil, fmt.Errorf("ldap: searching %s: %w", filter, err)
	}
	if res == nil || len(res.Entries) != 1 {
		if res != nil && len(res.Entries) > 1 {
			a.log.Warn("several entries match; refusing", "filter", filter)
		}
		return nil, nil
	}
	return res.Entries[0], nil
}

func (a *authenticator) groups(conn *ldap.Conn, user, dn string) ([]string, error) {
	filter := strings.NewReplacer("{user}", ldap.EscapeFilter(user), "{dn}", ldap.EscapeFilter(dn)).Replace(a.cfg.GroupFilter)
	res, err := conn.Search(ldap.NewSearchRequest(a.cfg.GroupBaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
		0, 0, false, filter, []string{a.cfg.GroupNameAttribute}, nil))
	if err != nil {
		return nil, fmt.Errorf("ldap: searching groups %s: %w", filter, err)
	}
	var groups []string
	for _, e := range res.Entries {
		if name := e.GetAttributeValue(a.cfg.GroupNameAttribute); name != "" {
			groups = append(groups, name)
		}
	}
	slices.Sort(groups)
	return groups, nil
}
