package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/floe-router/floe/sdk/passwd"
	"golang.org/x/term"
)

// terminal is standard input when it is a terminal: it reads a password
// without echoing it.
type terminal interface {
	ReadPassword(prompt string) (string, error)
}

// stdinTerminal returns os.Stdin as a terminal, or nil when it is not one.
// Prompts go to stderr, so that stdout carries only the hash.
func stdinTerminal() terminal {
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return nil
	}
	return ttyReader{fd: fd, prompts: os.Stderr}
}

type ttyReader struct {
	fd      int
	prompts io.Writer
}

func (t ttyReader) ReadPassword(prompt string) (string, error) {
	fmt.Fprint(t.prompts, prompt)
	b, err := term.ReadPassword(t.fd)
	fmt.Fprintln(t.prompts) // the newline the user typed was not echoed
	return string(b), err
}

// maxPasswordLine bounds what hashpassword reads from a pipe.
const maxPasswordLine = 64 << 10

// hashPassword is "floe hashpassword [--rounds N] [USER]": it prints a
// sha512-crypt hash of a password, or a password file line for USER.
func (c *cli) hashPassword(args []string) int {
	fs := flag.NewFlagSet("floe hashpassword", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: floe hashpassword [--rounds N] [USER]

Prints a sha512-crypt hash of a password for a Glacier2 password file
(Glacier2.CryptPasswords, auth.passwords_file): "USER HASH" when a user id is
given, else the hash alone. On a terminal the password is asked twice and not
echoed; otherwise the first line of standard input is the password.

`)
		fs.PrintDefaults()
	}
	rounds := fs.Int("rounds", passwd.DefaultRounds, "sha512-crypt `rounds`, 1000 to 999999999 (default: passlib's, as Ice's icehashpassword)")
	// Options may come before or after the user id.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitOK
			}
			return exitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(c.stderr, "floe hashpassword: "+format+"\n", a...)
		return code
	}
	var user string
	switch len(positional) {
	case 0:
	case 1:
		user = positional[0]
		if err := passwd.CheckUser(user); err != nil {
			return fail(exitUsage, "%v", err)
		}
	default:
		return fail(exitUsage, "too many arguments: %s (at most one user id)", strings.Join(positional[1:], " "))
	}
	if *rounds < 1000 || *rounds > 999_999_999 {
		return fail(exitUsage, "--rounds must be between 1000 and 999999999, not %d", *rounds)
	}

	password, err := c.readNewPassword()
	if err != nil {
		return fail(exitFailure, "%v", err)
	}
	hash, err := passwd.HashRounds(password, *rounds)
	if err != nil {
		return fail(exitFailure, "%v", err)
	}
	if user != "" {
		hash = user + " " + hash
	}
	fmt.Fprintln(c.stdout, hash)
	return exitOK
}

// readNewPassword asks for the password twice on a terminal, or reads the
// first line of standard input (without its line ending).
func (c *cli) readNewPassword() (string, error) {
	if c.terminal != nil {
		p, err := c.terminal.ReadPassword("Password: ")
		if err != nil {
			return "", fmt.Errorf("reading the password: %w", err)
		}
		again, err := c.terminal.ReadPassword("Retype password: ")
		if err != nil {
			return "", fmt.Errorf("reading the password: %w", err)
		}
		if p != again {
			return "", errors.New("the passwords do not match")
		}
		return p, nil
	}
	if c.stdin == nil {
		return "", errors.New("no password: standard input is empty")
	}
	line, err := bufio.NewReaderSize(io.LimitReader(c.stdin, maxPasswordLine), 4096).ReadString('\n')
	switch {
	case err == io.EOF && line == "":
		return "", errors.New("no password: standard input is empty")
	case err == io.EOF && len(line) == maxPasswordLine:
		return "", fmt.Errorf("no password: the first line of standard input is longer than %d bytes", maxPasswordLine)
	case err != nil && err != io.EOF:
		return "", fmt.Errorf("reading standard input: %w", err)
	}
	line = strings.TrimSuffix(line, "\n")
	return strings.TrimSuffix(line, "\r"), nil
}
