package config

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/floe-router/floe/sdk/passwd"
)

// checkPasswordFile loads the password file at path (auth.passwords_file,
// Glacier2.CryptPasswords) as the router will, and describes what is wrong
// with it: either why it cannot be read, in glacier2router's words, or
// each bad line as "path:line: problem". users is its number of users.
func checkPasswordFile(path string) (users int, problems []string) {
	f, err := passwd.ParseFile(path)
	if err == nil {
		return f.Len(), nil
	}
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return 0, []string{fmt.Sprintf("cannot open `%s' for reading: %s", path, strerror(pe.Err))}
	}
	var errs []error
	if joined, ok := errors.Unwrap(err).(interface{ Unwrap() []error }); ok {
		errs = joined.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		if le, ok := e.(*passwd.LineError); ok {
			problems = append(problems, fmt.Sprintf("%s:%d: %v", path, le.Line, le.Err))
		} else {
			problems = append(problems, fmt.Sprintf("%s: %v", path, e))
		}
	}
	return 0, problems
}

// strerror is err as the C library says it ("No such file or directory"),
// which is how glacier2router reports a password file it cannot open.
func strerror(err error) string {
	s := err.Error()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
