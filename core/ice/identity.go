package ice

// Identity names an Ice object: a name within an optional category.
// On the wire the name comes first.
type Identity struct {
	Name     string
	Category string
}

// IsZero reports whether this is the empty identity, which on the wire is
// also the null proxy.
func (id Identity) IsZero() bool { return id.Name == "" && id.Category == "" }

// Context is the request context, a string dictionary.
type Context map[string]string

// OperationMode is the request mode byte.
type OperationMode byte

const (
	Normal      OperationMode = 0
	Nonmutating OperationMode = 1
	Idempotent  OperationMode = 2
)

func (m OperationMode) String() string {
	switch m {
	case Normal:
		return "normal"
	case Nonmutating:
		return "nonmutating"
	case Idempotent:
		return "idempotent"
	}
	return "invalid"
}
