package ice

import "fmt"

// Version is a protocol or encoding version, major.minor.
type Version struct{ Major, Minor byte }

var (
	// Protocol10 is the only Ice protocol version.
	Protocol10 = Version{1, 0}
	// Encoding10 is the encoding of Ice 3.4 and earlier, still spoken by 3.7.
	Encoding10 = Version{1, 0}
	// Encoding11 is the default encoding of Ice 3.5 and later.
	Encoding11 = Version{1, 1}
)

func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// ParseVersion parses "1.0"-style strings as Ice prints them.
func ParseVersion(s string) (Version, error) {
	var major, minor int
	var rest string
	n, _ := fmt.Sscanf(s, "%d.%d%s", &major, &minor, &rest)
	if n != 2 || major < 0 || major > 255 || minor < 0 || minor > 255 {
		return Version{}, fmt.Errorf("invalid version %q", s)
	}
	return Version{byte(major), byte(minor)}, nil
}

// supportedEncoding reports whether enc is an encoding Ice 3.7 reads (1.0 or
// 1.1); Ice rejects encapsulations in any other.
func supportedEncoding(enc Version) bool { return enc.Major == 1 && enc.Minor <= 1 }
