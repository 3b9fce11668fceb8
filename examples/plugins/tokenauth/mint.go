package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// mintCommand is `tokenauth mint`: it prints a token for a user.
func mintCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tokenauth mint", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyFile := fs.String("key-file", "", "the HMAC key `file` floe's plugin block names")
	user := fs.String("user", "", "the user the token is for")
	roles := fs.String("roles", "", "comma-separated roles")
	ttl := fs.Duration("ttl", time.Hour, "how long the token is valid")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *keyFile == "" || *user == "" {
		fmt.Fprintln(stderr, "tokenauth mint: -key-file and -user are required")
		return 2
	}
	key, err := readKey(*keyFile)
	if err != nil {
		fmt.Fprintln(stderr, "tokenauth mint:", err)
		return 1
	}
	c := Claims{User: *user, Expires: time.Now().Add(*ttl).Unix()}
	if *roles != "" {
		c.Roles = strings.Split(*roles, ",")
	}
	fmt.Fprintln(stdout, Mint(key, c))
	return 0
}
