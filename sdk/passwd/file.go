// Package passwd reads Glacier2 password files (the file named by
// Glacier2.CryptPasswords, floe's auth.passwords_file) and checks passwords
// against the hashes they hold, in every format Glacier2 3.7 accepts:
// sha512-crypt ($6$), sha256-crypt ($5$), md5-crypt ($1$), traditional DES
// crypt, and passlib's PBKDF2 ($pbkdf2-sha256$, $pbkdf2-sha512$, $pbkdf2$).
// Hash makes new sha512-crypt hashes, as Ice's icehashpassword does.
//
// It is used by floe's router and by password plugins, so it imports
// nothing else of floe: third-party plugin authors import it as it is.
//
// A password file holds one user per line, the user id and the hash
// separated by white space:
//
//	alice $6$rounds=656000$bW3KcJ7Y0pJQk3mP$…
//	bob   $pbkdf2-sha256$29000$N2bMWcsZo1SK8b7XWquVMg$…
//
// glacier2router reads the file as a stream of white-space separated words
// taken two by two, keeps the first of duplicate users and silently denies
// users whose hash it cannot use. Parse is stricter, so mistakes show when
// the file is loaded instead of as refused logins: every non-blank line must
// be exactly a user and a hash in a supported format, and a user may appear
// once. Glacier2 has no comment syntax, and neither has this format.
package passwd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
)

// File is a parsed password file.
type File struct {
	users map[string]*StoredHash
	// decoy is verified for unknown users, so that the time Verify takes
	// does not tell whether a user exists.
	decoy *StoredHash
	order []string
}

// LineError is a problem on one line of a password file.
type LineError struct {
	Line int // 1-based
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

func (e *LineError) Unwrap() error { return e.Err }

// maxLineErrors bounds the problems Parse reports: a file that is not a
// password file at all would otherwise produce one per line.
const maxLineErrors = 20

// Parse reads a password file. The error lists every problem found (up to
// 20), each a *LineError, joined with errors.Join.
func Parse(r io.Reader) (*File, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	f := &File{users: map[string]*StoredHash{}}
	firstLine := map[string]int{}
	var errs []error
	fail := func(line int, format string, args ...any) {
		errs = append(errs, &LineError{Line: line, Err: fmt.Errorf(format, args...)})
	}
	for n, line := range bytes.Split(data, []byte{'\n'}) {
		if len(errs) >= maxLineErrors {
			errs = append(errs, errors.New("too many errors"))
			break
		}
		lineNo := n + 1
		fields := strings.FieldsFunc(string(line), isSpace)
		switch {
		case len(fields) == 0:
			continue
		case len(fields) == 1:
			fail(lineNo, "user %q has no password hash; write the user id, white space, then the hash", fields[0])
			continue
		case len(fields) > 2:
			fail(lineNo, "%d words; write the user id, white space, then the hash (neither may contain white space)", len(fields))
			continue
		}
		user, text := fields[0], fields[1]
		h, err := ParseHash(text)
		if err != nil {
			fail(lineNo, "user %q: %v", user, err)
			continue
		}
		if first, dup := firstLine[user]; dup {
			fail(lineNo, "user %q is already defined on line %d (glacier2router would use the first)", user, first)
			continue
		}
		firstLine[user] = lineNo
		f.users[user] = h
		f.order = append(f.order, user)
		if f.decoy == nil {
			f.decoy = h
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return f, nil
}

// isSpace is the white space that separates words in a password file: what
// C++'s operator>> skips in the "C" locale, where glacier2router reads it.
func isSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

// ParseFile reads the password file at path. Its error names the path.
func ParseFile(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	f, err := Parse(fh)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Users are the user ids of the file, in file order.
func (f *File) Users() []string { return append([]string(nil), f.order...) }

// Len is the number of users.
func (f *File) Len() int { return len(f.order) }

// Lookup returns the stored hash of user.
func (f *File) Lookup(user string) (*StoredHash, bool) {
	h, ok := f.users[user]
	return h, ok
}

// Verify reports whether user is in the file and password matches its
// hash. For an unknown user it still verifies password against a hash of
// the file (and returns false), so both cases take about the same time.
func (f *File) Verify(user, password string) bool {
	h, ok := f.users[user]
	if !ok {
		if f.decoy != nil {
			f.decoy.Verify(password)
		}
		return false
	}
	return h.Verify(password)
}

// CheckUser reports whether user can be written in a password file: it
// must be non-empty and free of white space.
func CheckUser(user string) error {
	switch {
	case user == "":
		return errors.New("empty user id")
	case strings.IndexFunc(user, isSpace) >= 0:
		return fmt.Errorf("user id %q contains white space, which separates the words of a password file", user)
	case strings.IndexFunc(user, unicode.IsControl) >= 0:
		return fmt.Errorf("user id %q contains a control character", user)
	}
	return nil
}
