package interop

import "testing"

// Glacier2's static request filters: with a filter configured, a request
// must match one of them or the client gets ObjectNotExistException.

func init() {
	scenarios = append(scenarios, scenario{"identity-filter", func(t *testing.T, e *env) {
		hello, _ := server(t, "A")
		r := e.router(t, props{
			"Glacier2.PermissionsVerifier":    nullVerifier,
			"Glacier2.Filter.Identity.Accept": "hello-A",
		})
		res := client(t, r, "other", "--hello", hello)
		res.str(t, "other") // hello-A is accepted
		res.wantErr(t, "otherSayHello", "::Ice::ObjectNotExistException")
	}}, scenario{"category-filter-accept-user", func(t *testing.T, e *env) {
		hello, _ := server(t, "A")
		// The accepted categories include the user's own, which hello-A
		// (no category) is not in.
		r := e.router(t, props{
			"Glacier2.PermissionsVerifier":        nullVerifier,
			"Glacier2.Filter.Category.Accept":     "\"a category\" other",
			"Glacier2.Filter.Category.AcceptUser": "1",
		})
		res := client(t, r, "session", "--hello", hello)
		res.wantErr(t, "sayHello", "::Ice::ObjectNotExistException")
	}})
}
