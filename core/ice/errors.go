package ice

import (
	"errors"
	"fmt"
)

// ErrMalformed is wrapped by every decoding error, so callers can tell bad
// input (close the connection) from other failures.
var ErrMalformed = errors.New("ice: malformed data")

// ErrTooLarge is returned for a message over the configured maximum size.
var ErrTooLarge = errors.New("ice: message exceeds maximum size")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

func truncated(what string, need, have int) error {
	return malformed("%s needs %d bytes, %d left", what, need, have)
}
