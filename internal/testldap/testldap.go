// Package testldap runs a real OpenLDAP slapd (Debian package slapd) on
// loopback with a generated directory, for the tests of the ldap plugin
// and the interop tests: people alice, bob and carol under
// ou=people,dc=floe,dc=test, groups admins (alice) and staff (alice, bob)
// under ou=groups, and TLS (ldaps://, and StartTLS on ldap://) with a
// certificate from a test authority.
//
// This package is for tests only.
package testldap

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floe-router/floe/internal/testcert"
	"github.com/floe-router/floe/internal/testutil"
)

const (
	slapd   = "/usr/sbin/slapd"
	slapadd = "/usr/sbin/slapadd"

	BaseDN        = "dc=floe,dc=test"
	PeopleDN      = "ou=people," + BaseDN
	GroupsDN      = "ou=groups," + BaseDN
	AdminDN       = "cn=admin," + BaseDN
	AdminPassword = "admin-secret"
)

// Passwords are the people's passwords.
var Passwords = map[string]string{"alice": "alice-secret", "bob": "bob-secret", "carol": "carol-secret"}

// Server is a running slapd.
type Server struct {
	URL   string // ldap://127.0.0.1:PORT (StartTLS available)
	LDAPS string // ldaps://127.0.0.1:PORT
	// CAFile is the PEM file of the authority that issued its certificate.
	CAFile string
	Proc   *testutil.Process
}

// Available reports why slapd cannot run here (nil when it can).
func Available() error {
	for _, p := range []string{slapd, slapadd} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("%s (Debian package slapd): %w", p, err)
		}
	}
	return nil
}

// Require stops the test unless slapd is installed (a failure under CI).
func Require(t testing.TB) {
	t.Helper()
	testutil.RequirePeer(t, "OpenLDAP slapd (Debian package slapd)", Available())
}

const ldif = `dn: dc=floe,dc=test
objectClass: top
objectClass: dcObject
objectClass: organization
o: floe
dc: floe

dn: ou=people,dc=floe,dc=test
objectClass: organizationalUnit
ou: people

dn: ou=groups,dc=floe,dc=test
objectClass: organizationalUnit
ou: groups
{{people}}
dn: cn=admins,ou=groups,dc=floe,dc=test
objectClass: groupOfNames
cn: admins
member: uid=alice,ou=people,dc=floe,dc=test

dn: cn=staff,ou=groups,dc=floe,dc=test
objectClass: groupOfNames
cn: staff
member: uid=alice,ou=people,dc=floe,dc=test
member: uid=bob,ou=people,dc=floe,dc=test
`

const person = `
dn: uid=%[1]s,ou=people,dc=floe,dc=test
objectClass: inetOrgPerson
uid: %[1]s
cn: %[2]s
sn: %[2]s
mail: %[1]s@floe.test
userPassword: %[3]s
`

const conf = `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {{dir}}/slapd.pid
TLSCACertificateFile {{dir}}/ca.pem
TLSCertificateFile {{dir}}/server.pem
TLSCertificateKeyFile {{dir}}/server.key
database mdb
maxsize 16777216
suffix "dc=floe,dc=test"
rootdn "cn=admin,dc=floe,dc=test"
rootpw admin-secret
directory {{dir}}/db
access to attrs=userPassword by anonymous auth by * none
access to * by * read
`

// Start generates the directory and starts slapd; it is stopped when the
// test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	Require(t)
	dir := t.TempDir()
	ca := testcert.NewAuthority(t, "floe test LDAP CA")
	leaf := ca.Server(t, "127.0.0.1")
	files := map[string][]byte{"ca.pem": ca.PEM(), "server.pem": leaf.CertPEM(), "server.key": leaf.KeyPEM(t)}
	var people strings.Builder
	for _, u := range []string{"alice", "bob", "carol"} {
		fmt.Fprintf(&people, person, u, strings.ToUpper(u[:1])+u[1:], Passwords[u])
	}
	files["data.ldif"] = []byte(strings.Replace(ldif, "{{people}}", people.String(), 1))
	files["slapd.conf"] = []byte(strings.ReplaceAll(conf, "{{dir}}", dir))
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "db"), 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "slapd.conf")
	if out, err := exec.Command(slapadd, "-f", cfg, "-l", filepath.Join(dir, "data.ldif")).CombinedOutput(); err != nil {
		t.Fatalf("slapadd: %v\n%s", err, out)
	}
	for attempt := 1; ; attempt++ {
		ports := testutil.FreePorts(t, 2)
		port, tlsPort := ports[0], ports[1]
		s := &Server{URL: fmt.Sprintf("ldap://127.0.0.1:%d", port), LDAPS: fmt.Sprintf("ldaps://127.0.0.1:%d", tlsPort),
			CAFile: filepath.Join(dir, "ca.pem")}
		// -d 0: stay in the foreground, logging nothing but errors.
		s.Proc = testutil.Start(t, testutil.Options{Name: "slapd", Path: slapd,
			Args: []string{"-f", cfg, "-h", s.URL + "/ " + s.LDAPS + "/", "-d", "0"}})
		err := s.Proc.WaitPort(port, 10*time.Second)
		if err == nil {
			err = s.Proc.WaitPort(tlsPort, 5*time.Second)
		}
		if err == nil {
			return s
		}
		if attempt < 3 && strings.Contains(s.Proc.Stderr(), "Address already in use") {
			s.Proc.Kill()
			continue
		}
		t.Fatalf("slapd: %v", err)
	}
}
