package passwd_test

import (
	"fmt"
	"strings"

	"github.com/floe-router/floe/sdk/passwd"
)

func ExampleParse() {
	// alice's hash was made by `mkpasswd -m sha-512 -R 1000`, bob's by
	// `mkpasswd -m des`.
	f, err := passwd.Parse(strings.NewReader(
		"alice $6$rounds=1000$.1iwz2VN/1oqwEh7$ZwZq.qqIu2juelrpPDYEq7ZgyvVWOC6..L4uGaRgE7E3i4Tcuc6VLQT6k3kfl5ToNDYUmYlCsUdyCval1Hx0s0\n" +
			"bob   8ofTQEvgcJGZo\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.Users())
	fmt.Println(f.Verify("alice", "secret1"), f.Verify("alice", "guess"), f.Verify("bob", "secret2"), f.Verify("carol", ""))
	// Output:
	// [alice bob]
	// true false true false
}

func ExampleParse_errors() {
	_, err := passwd.Parse(strings.NewReader("alice\nbob $y$j9T$salt$hash\n"))
	fmt.Println(err)
	// Output:
	// line 1: user "alice" has no password hash; write the user id, white space, then the hash
	// line 2: user "bob": unsupported hash format yescrypt (glacier2router on Linux takes it from libcrypt; floe does not); use one of sha512-crypt ($6$), sha256-crypt ($5$), md5-crypt ($1$), DES crypt (13 characters), passlib PBKDF2 ($pbkdf2-sha256$, $pbkdf2-sha512$, $pbkdf2$)
}

func ExampleHashRounds() {
	hash, err := passwd.HashRounds("secret1", 5001)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(hash[:len("$6$rounds=5001$")], passwd.Verify(hash, "secret1"))
	// Output:
	// $6$rounds=5001$ true
}
