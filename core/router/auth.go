package router

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/floe-router/floe/core/config"
	"github.com/floe-router/floe/core/ice"
)

// Authorizer decides whether a user may open a session.
type Authorizer interface {
	// Authorize returns ok, or a reason the client receives in
	// PermissionDeniedException. An error is not a verdict: the router
	// answers "internal server error", as Glacier2 does.
	Authorize(ctx context.Context, user, password string, reqCtx ice.Context) (ok bool, reason string, err error)
}

// PermissionDenied is an error an Authorizer returns to deny with a reason
// that reaches the client as is.
type PermissionDenied struct{ Reason string }

func (e *PermissionDenied) Error() string { return "permission denied: " + e.Reason }

// allowAll is the built-in <instance>/NullPermissionsVerifier.
type allowAll struct{}

func (allowAll) Authorize(context.Context, string, string, ice.Context) (bool, string, error) {
	return true, "", nil
}

// remoteVerifier calls a Glacier2::PermissionsVerifier object.
type remoteVerifier struct {
	r     *Router
	proxy *ice.Proxy
	opts  *callOptions
}

const (
	permissionDeniedID    = "::Glacier2::PermissionDeniedException"
	cannotCreateSessionID = "::Glacier2::CannotCreateSessionException"
	sessionNotExistID     = "::Glacier2::SessionNotExistException"
	routerTypeID          = "::Glacier2::Router"
	iceRouterTypeID       = "::Ice::Router"
	iceObjectTypeID       = "::Ice::Object"
	routerFinderTypeID    = "::Ice::RouterFinder"
)

func (v remoteVerifier) Authorize(ctx context.Context, user, password string, reqCtx ice.Context) (bool, string, error) {
	enc := v.proxy.Encoding
	e := ice.NewEncoder(nil)
	m := e.StartEncapsulation(enc)
	e.WriteString(user)
	e.WriteString(password)
	e.EndEncapsulation(m)
	// checkPermissions is ["nonmutating"] idempotent in Glacier2's Slice.
	res, err := v.r.invokeWith(ctx, v.proxy, v.opts, "checkPermissions", ice.Nonmutating, reqCtx, e.Bytes())
	return verdict(res, err, "permissions verifier")
}

// verdict reads a verifier's answer (bool, out string reason), or its
// PermissionDeniedException; what names the verifier in errors.
func verdict(res []byte, err error, what string) (bool, string, error) {
	if err != nil {
		if reason, ok := userException(err, permissionDeniedID); ok {
			return false, "", &PermissionDenied{Reason: reason}
		}
		return false, "", fmt.Errorf("%s: %w", what, err)
	}
	d := ice.NewDecoder(nil)
	encV, body, err := decodeEncaps(res)
	if err != nil {
		return false, "", err
	}
	d.Reset(body)
	d.Encoding = encV
	// Out parameters come before the return value.
	reason, err := d.String()
	if err != nil {
		return false, "", fmt.Errorf("%s reply: %w", what, err)
	}
	ok, err := d.Bool()
	if err != nil {
		return false, "", fmt.Errorf("%s reply: %w", what, err)
	}
	return ok, reason, nil
}

func decodeEncaps(b []byte) (ice.Version, []byte, error) {
	d := ice.NewDecoder(b)
	return d.Encapsulation()
}

func newAuthorizer(r *Router, cfg *config.Config) (Authorizer, error) {
	switch {
	case cfg.Auth.Verifier != "":
		p, err := r.defaults.ParseProxy(cfg.Auth.Verifier)
		if err != nil {
			return nil, fmt.Errorf("router: permissions verifier %q: %w", cfg.Auth.Verifier, err)
		}
		if p == nil {
			return nil, errors.New("router: permissions verifier is a null proxy")
		}
		return remoteVerifier{r: r, proxy: p, opts: &callOptions{ProxyOptions: cfg.Auth.VerifierOptions,
			cacheDefault: locatorCacheTimeout(cfg)}}, nil
	case cfg.Auth.PasswordsFile != "":
		// After the verifier: glacier2router uses Glacier2.CryptPasswords
		// only when Glacier2.PermissionsVerifier is not set.
		p, err := newPasswordFile(cfg.Auth.PasswordsFile)
		if err != nil {
			return nil, err
		}
		return p, nil
	case cfg.Auth.AllowAll:
		return allowAll{}, nil
	}
	// Only createSessionFromSecureConnection, or authentication hooks:
	// createSession is otherwise refused with "no configured permissions
	// verifier", as in Glacier2. Start checks that something authenticates.
	return nil, nil
}

// locatorCacheTimeout is the default locator's cache timeout, which the
// verifiers' proxies use unless they set their own.
func locatorCacheTimeout(cfg *config.Config) time.Duration {
	if cfg.Locator != nil {
		return cfg.Locator.CacheTimeout
	}
	return config.LocatorCacheForever
}

// ErrNoAuthenticator is Glacier2's refusal to start with nothing to
// authenticate sessions.
var ErrNoAuthenticator = errors.New("router: Glacier2 requires a permissions verifier or password file")
