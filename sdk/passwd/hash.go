package passwd

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"math"
	"strconv"
	"strings"

	"github.com/GehirnInc/crypt"
	"github.com/GehirnInc/crypt/md5_crypt"
	"github.com/GehirnInc/crypt/sha256_crypt"
	"github.com/GehirnInc/crypt/sha512_crypt"
)

// Scheme is a password hash format.
type Scheme int

// The formats Glacier2 3.7 accepts: the crypt(3) ones on Linux (through
// libcrypt), PBKDF2 on macOS and Windows.
const (
	SHA512Crypt  Scheme = iota + 1 // $6$[rounds=N$]salt$hash
	SHA256Crypt                    // $5$[rounds=N$]salt$hash
	MD5Crypt                       // $1$salt$hash
	DESCrypt                       // 13 characters, the first two the salt
	PBKDF2SHA1                     // $pbkdf2$rounds$salt$checksum (passlib)
	PBKDF2SHA256                   // $pbkdf2-sha256$rounds$salt$checksum (passlib)
	PBKDF2SHA512                   // $pbkdf2-sha512$rounds$salt$checksum (passlib)
)

var schemeNames = map[Scheme]string{
	SHA512Crypt:  "sha512-crypt",
	SHA256Crypt:  "sha256-crypt",
	MD5Crypt:     "md5-crypt",
	DESCrypt:     "des-crypt",
	PBKDF2SHA1:   "pbkdf2-sha1",
	PBKDF2SHA256: "pbkdf2-sha256",
	PBKDF2SHA512: "pbkdf2-sha512",
}

func (s Scheme) String() string {
	if n, ok := schemeNames[s]; ok {
		return n
	}
	return "Scheme(" + strconv.Itoa(int(s)) + ")"
}

// StoredHash is a password hash as a password file holds it, checked for
// well-formedness.
type StoredHash struct {
	text   string
	scheme Scheme
	rounds int
	// PBKDF2 only: the decoded salt and checksum.
	salt, sum []byte
}

// Scheme is the hash's format.
func (h *StoredHash) Scheme() Scheme { return h.scheme }

// Rounds is the hash's iteration count (sha-crypt and PBKDF2); 0 for the
// formats that have none.
func (h *StoredHash) Rounds() int { return h.rounds }

// String is the hash as stored.
func (h *StoredHash) String() string { return h.text }

// crypt64 is the alphabet of crypt(3) hashes and salts.
const crypt64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Limits of sha-crypt rounds (Drepper's specification) and PBKDF2 rounds
// (passlib's).
const (
	minCryptRounds     = 1000
	maxCryptRounds     = 999_999_999
	defaultCryptRounds = 5000
	maxPBKDF2Rounds    = 1<<32 - 1
)

// otherSchemes name formats that ParseHash recognizes but does not
// support, for a clearer error. glacier2router on Linux verifies those
// marked libcrypt through libxcrypt's crypt(3) (yescrypt is the default of
// Debian's mkpasswd); it cannot use bcrypt, whose salt follows the last '$'.
var otherSchemes = []struct {
	prefix, name string
	libcrypt     bool
}{
	{"$y$", "yescrypt", true},
	{"$gy$", "gost-yescrypt", true},
	{"$7$", "scrypt", true},
	{"$2a$", "bcrypt", false},
	{"$2b$", "bcrypt", false},
	{"$2x$", "bcrypt", false},
	{"$2y$", "bcrypt", false},
	{"$md5", "SunMD5", true},
	{"$3$", "NT-Hash", true},
	{"$apr1$", "Apache MD5", false},
	{"$sha1$", "sha1-crypt", false},
	{"_", "BSDi extended DES", false},
}

// supported lists the formats for error messages.
const supported = "sha512-crypt ($6$), sha256-crypt ($5$), md5-crypt ($1$), DES crypt (13 characters), " +
	"passlib PBKDF2 ($pbkdf2-sha256$, $pbkdf2-sha512$, $pbkdf2$)"

// ParseHash checks that s is a hash in one of the supported formats, and
// well-formed: one that crypt(3) or passlib could have produced, so that
// some password matches it.
func ParseHash(s string) (*StoredHash, error) {
	h := &StoredHash{text: s}
	var err error
	switch {
	case strings.HasPrefix(s, "$6$"):
		h.scheme = SHA512Crypt
		h.rounds, err = parseSHACrypt(s[3:], 86)
	case strings.HasPrefix(s, "$5$"):
		h.scheme = SHA256Crypt
		h.rounds, err = parseSHACrypt(s[3:], 43)
	case strings.HasPrefix(s, "$1$"):
		h.scheme = MD5Crypt
		err = parseMD5Crypt(s[3:])
	case strings.HasPrefix(s, "$pbkdf2$"):
		h.scheme = PBKDF2SHA1
		err = h.parsePBKDF2(s[len("$pbkdf2$"):])
	case strings.HasPrefix(s, "$pbkdf2-sha256$"):
		h.scheme = PBKDF2SHA256
		err = h.parsePBKDF2(s[len("$pbkdf2-sha256$"):])
	case strings.HasPrefix(s, "$pbkdf2-sha512$"):
		h.scheme = PBKDF2SHA512
		err = h.parsePBKDF2(s[len("$pbkdf2-sha512$"):])
	case !strings.Contains(s, "$") && len(s) == 13:
		h.scheme = DESCrypt
		err = checkDESCrypt(s)
	default:
		return nil, unsupported(s)
	}
	if err != nil {
		return nil, fmt.Errorf("malformed %s hash: %w", h.scheme, err)
	}
	return h, nil
}

func unsupported(s string) error {
	for _, o := range otherSchemes {
		if strings.HasPrefix(s, o.prefix) && o.libcrypt {
			return fmt.Errorf("unsupported hash format %s (glacier2router on Linux takes it from libcrypt; floe does not); use one of %s", o.name, supported)
		}
		if strings.HasPrefix(s, o.prefix) {
			return fmt.Errorf("unsupported hash format %s; use one of %s", o.name, supported)
		}
	}
	switch {
	case strings.HasPrefix(s, "!") || strings.HasPrefix(s, "*"):
		return fmt.Errorf("%q marks a locked account in /etc/shadow, but not here: remove the user's line to refuse them", s[:1])
	case !strings.Contains(s, "$"):
		return fmt.Errorf("not a password hash: %d characters without '$', and DES crypt hashes have 13; use one of %s", len(s), supported)
	}
	prefix := s
	if i := strings.IndexByte(s[1:], '$'); s[0] == '$' && i >= 0 {
		prefix = s[:i+2]
	} else if len(prefix) > 12 {
		prefix = prefix[:12] + "…"
	}
	return fmt.Errorf("unknown hash format %q; use one of %s", prefix, supported)
}

// parseSHACrypt checks [rounds=N$]salt$checksum after $5$ or $6$, with a
// checksum of sumLen characters, and returns the rounds.
func parseSHACrypt(s string, sumLen int) (int, error) {
	rounds := defaultCryptRounds
	if r, ok := strings.CutPrefix(s, "rounds="); ok {
		digits, rest, found := strings.Cut(r, "$")
		if !found {
			return 0, errors.New("no '$' after rounds=")
		}
		n, err := decimal(digits, minCryptRounds, maxCryptRounds)
		if err != nil {
			return 0, fmt.Errorf("rounds: %w", err)
		}
		rounds, s = n, rest
	}
	salt, sum, found := strings.Cut(s, "$")
	if !found {
		return 0, errors.New("no '$' between salt and hash")
	}
	if err := checkCryptSalt(salt, 16); err != nil {
		return 0, err
	}
	if len(sum) != sumLen {
		return 0, fmt.Errorf("the hash after the salt has %d characters, not %d", len(sum), sumLen)
	}
	return rounds, checkCrypt64Sum(sum)
}

// parseMD5Crypt checks salt$checksum after $1$.
func parseMD5Crypt(s string) error {
	salt, sum, found := strings.Cut(s, "$")
	if !found {
		return errors.New("no '$' between salt and hash")
	}
	if err := checkCryptSalt(salt, 8); err != nil {
		return err
	}
	if len(sum) != 22 {
		return fmt.Errorf("the hash after the salt has %d characters, not 22", len(sum))
	}
	return checkCrypt64Sum(sum)
}

// checkCryptSalt checks a sha-crypt or md5-crypt salt: crypt(3) uses at most
// max characters of it and stops at ':' and newlines (libxcrypt), so a
// longer one can never be in its output.
func checkCryptSalt(salt string, max int) error {
	if len(salt) > max {
		return fmt.Errorf("salt %q is longer than %d characters, so no password matches it", salt, max)
	}
	if strings.ContainsAny(salt, ":\n") {
		return fmt.Errorf("salt %q contains ':', so no password matches it", salt)
	}
	return nil
}

// checkCrypt64Sum checks a sha-crypt or md5-crypt checksum: crypt64
// characters encoding whole bytes three by three, little-endian, so that
// the last character carries only the low 2 or 4 bits when the byte count
// is not a multiple of 3; the encoder leaves the others zero.
func checkCrypt64Sum(s string) error {
	if err := checkCrypt64(s); err != nil {
		return err
	}
	bits := map[int]uint{2: 2, 3: 4}[len(s)%4]
	if last := s[len(s)-1]; bits > 0 && strings.IndexByte(crypt64, last)>>bits != 0 {
		return fmt.Errorf("last character %q is not one crypt produces", last)
	}
	return nil
}

// checkCrypt64 checks that s is in the crypt64 alphabet.
func checkCrypt64(s string) error {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(crypt64, s[i]) < 0 {
			return fmt.Errorf("%q is not a crypt base64 character (./0-9A-Za-z)", s[i])
		}
	}
	return nil
}

// decimal parses a positive decimal number in [lo, hi] without sign or
// leading zero: the only form crypt(3) and passlib write.
func decimal(s string, lo, hi int) (int, error) {
	if s == "" || s[0] < '1' || s[0] > '9' {
		return 0, fmt.Errorf("%q is not a number without leading zero", s)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n < uint64(lo) || n > uint64(hi) || n > math.MaxInt {
		return 0, fmt.Errorf("%s is not between %d and %d", s, lo, hi)
	}
	return int(n), nil
}

// ab64 is passlib's "adapted base64": standard base64 with '.' for '+',
// without padding.
var ab64 = base64.RawStdEncoding

func decodeAB64(s string) ([]byte, error) {
	if strings.ContainsAny(s, "+=") {
		return nil, errors.New("'+' or '=' in passlib's base64, which uses '.' and no padding")
	}
	return ab64.DecodeString(strings.ReplaceAll(s, ".", "+"))
}

// parsePBKDF2 checks rounds$salt$checksum after the $pbkdf2…$ prefix.
func (h *StoredHash) parsePBKDF2(s string) error {
	parts := strings.Split(s, "$")
	if len(parts) != 3 {
		return errors.New("want rounds$salt$checksum after the prefix")
	}
	rounds, err := decimal(parts[0], 1, maxPBKDF2Rounds)
	if err != nil {
		return fmt.Errorf("rounds: %w", err)
	}
	salt, err := decodeAB64(parts[1])
	if err != nil {
		return fmt.Errorf("salt: %w", err)
	}
	sum, err := decodeAB64(parts[2])
	if err != nil {
		return fmt.Errorf("checksum: %w", err)
	}
	if want := h.pbkdf2Hash()().Size(); len(sum) != want {
		return fmt.Errorf("checksum is %d bytes, not %d", len(sum), want)
	}
	h.rounds, h.salt, h.sum = rounds, salt, sum
	return nil
}

func (h *StoredHash) pbkdf2Hash() func() hash.Hash {
	switch h.scheme {
	case PBKDF2SHA1:
		return sha1.New
	case PBKDF2SHA256:
		return sha256.New
	}
	return sha512.New
}

// maxCryptPassword is libxcrypt's CRYPT_MAX_PASSPHRASE_SIZE: its crypt(3)
// fails for longer passwords, so glacier2router on Linux denies them. The
// bound also matters for speed: sha-crypt's work grows with the square of
// the password's length.
const maxCryptPassword = 512

// Verify reports whether password matches the hash, comparing in constant
// time. For the crypt(3) formats, the password is taken as glacier2router
// on Linux hands it to libcrypt's crypt(3): it ends at its first NUL
// character, DES crypt uses only its first 8 characters, and one of 512
// bytes or more never matches.
func (h *StoredHash) Verify(password string) bool {
	switch h.scheme {
	case PBKDF2SHA1, PBKDF2SHA256, PBKDF2SHA512:
		got, err := pbkdf2.Key(h.pbkdf2Hash(), password, h.salt, h.rounds, len(h.sum))
		return err == nil && subtle.ConstantTimeCompare(got, h.sum) == 1
	}
	if i := strings.IndexByte(password, 0); i >= 0 {
		password = password[:i]
	}
	if len(password) >= maxCryptPassword {
		return false
	}
	var got string
	switch h.scheme {
	case DESCrypt:
		got = desCrypt(password, h.text[:2])
	case SHA512Crypt, SHA256Crypt, MD5Crypt:
		// crypt(3) is given the hash as its setting: it reads the salt and
		// rounds from it and writes them back in front of the checksum.
		var err error
		got, err = cryptFor(h.scheme).Generate([]byte(password), []byte(h.text))
		if err != nil {
			return false
		}
	default:
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(h.text)) == 1
}

func cryptFor(s Scheme) crypt.Crypter {
	switch s {
	case SHA512Crypt:
		return sha512_crypt.New()
	case SHA256Crypt:
		return sha256_crypt.New()
	}
	return md5_crypt.New()
}

// Verify reports whether password matches hash; false when hash is in no
// supported format (as glacier2router denies such users).
func Verify(hash, password string) bool {
	h, err := ParseHash(hash)
	return err == nil && h.Verify(password)
}

// DefaultRounds is the sha512-crypt rounds Hash uses: the default of
// passlib, with which Ice's icehashpassword makes hashes on Linux.
const DefaultRounds = 656_000

// Hash returns a sha512-crypt hash of password with a random salt and
// DefaultRounds rounds, as Ice's icehashpassword makes on Linux.
func Hash(password string) (string, error) {
	return HashRounds(password, DefaultRounds)
}

// HashRounds is Hash with the given rounds, between 1000 and 999999999.
// 5000 rounds, the sha512-crypt default, are left out of the hash, as
// passlib and crypt(3) do.
func HashRounds(password string, rounds int) (string, error) {
	if rounds < minCryptRounds || rounds > maxCryptRounds {
		return "", fmt.Errorf("rounds must be between %d and %d, not %d", minCryptRounds, maxCryptRounds, rounds)
	}
	if strings.IndexByte(password, 0) >= 0 {
		return "", errors.New("password contains a NUL character, where crypt(3) would cut it")
	}
	// 16 salt characters, the most sha512-crypt uses: 96 random bits.
	var raw [12]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	setting := "$6$"
	if rounds != defaultCryptRounds {
		setting += "rounds=" + strconv.Itoa(rounds) + "$"
	}
	setting += encodeCrypt64(raw[:]) + "$"
	return sha512_crypt.New().Generate([]byte(password), []byte(setting))
}

// encodeCrypt64 encodes b three bytes at a time, little-endian, in the
// crypt64 alphabet (only used for salts, whose bit order does not matter).
func encodeCrypt64(b []byte) string {
	var out strings.Builder
	for i := 0; i+2 < len(b); i += 3 {
		v := uint(b[i]) | uint(b[i+1])<<8 | uint(b[i+2])<<16
		for range 4 {
			out.WriteByte(crypt64[v&63])
			v >>= 6
		}
	}
	return out.String()
}
