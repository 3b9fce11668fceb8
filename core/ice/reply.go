package ice

import (
	"encoding/binary"
	"fmt"
)

// ReplyStatus is the status byte of a reply.
type ReplyStatus byte

const (
	ReplyOK                    ReplyStatus = 0
	ReplyUserException         ReplyStatus = 1
	ReplyObjectNotExist        ReplyStatus = 2
	ReplyFacetNotExist         ReplyStatus = 3
	ReplyOperationNotExist     ReplyStatus = 4
	ReplyUnknownLocalException ReplyStatus = 5
	ReplyUnknownUserException  ReplyStatus = 6
	ReplyUnknownException      ReplyStatus = 7
)

func (s ReplyStatus) String() string {
	switch s {
	case ReplyOK:
		return "ok"
	case ReplyUserException:
		return "user exception"
	case ReplyObjectNotExist:
		return "object not exist"
	case ReplyFacetNotExist:
		return "facet not exist"
	case ReplyOperationNotExist:
		return "operation not exist"
	case ReplyUnknownLocalException:
		return "unknown local exception"
	case ReplyUnknownUserException:
		return "unknown user exception"
	case ReplyUnknownException:
		return "unknown exception"
	}
	return fmt.Sprintf("invalid reply status %d", byte(s))
}

// Reply is a decoded reply body.
type Reply struct {
	ID     int32
	Status ReplyStatus
	// Payload is what follows the status: an encapsulation for OK and user
	// exceptions, identity+facet+operation for the *NotExist statuses, a
	// string for the Unknown* statuses.
	Payload []byte

	// Set for the *NotExist statuses.
	Identity  Identity
	Facet     string
	Operation string
	// Set for the Unknown* statuses.
	Unknown string
}

// ParseReply decodes a reply body (after the header) and checks that its
// payload is well formed and complete.
func ParseReply(body []byte) (Reply, error) {
	d := Decoder{b: body}
	id, err := d.Int32()
	if err != nil {
		return Reply{}, err
	}
	st, err := d.Byte()
	if err != nil {
		return Reply{}, err
	}
	r := Reply{ID: id, Status: ReplyStatus(st), Payload: d.Rest()}
	switch r.Status {
	case ReplyOK, ReplyUserException:
		_, _, err = d.Encapsulation()
	case ReplyObjectNotExist, ReplyFacetNotExist, ReplyOperationNotExist:
		if r.Identity, err = d.Identity(); err != nil {
			break
		}
		if r.Facet, err = d.Facet(); err != nil {
			break
		}
		r.Operation, err = d.String()
	case ReplyUnknownLocalException, ReplyUnknownUserException, ReplyUnknownException:
		r.Unknown, err = d.String()
	default:
		return Reply{}, malformed("invalid reply status %d", st)
	}
	if err != nil {
		return Reply{}, err
	}
	if d.Remaining() != 0 {
		return Reply{}, malformed("%d trailing bytes after reply", d.Remaining())
	}
	return r, nil
}

// ReplyID reads the request id of a reply body without decoding the rest.
func ReplyID(body []byte) (int32, bool) {
	if len(body) < 4 {
		return 0, false
	}
	return int32(binary.LittleEndian.Uint32(body)), true
}

// beginReply appends a reply header, id and status and returns the offset of
// the message start.
func beginReply(b []byte, id int32, st ReplyStatus) ([]byte, int) {
	start := len(b)
	b = AppendHeader(b, ReplyMsg, 0, 0)
	b = binary.LittleEndian.AppendUint32(b, uint32(id))
	return append(b, byte(st)), start
}

// AppendReplyOK appends a complete OK reply whose result encapsulation is
// params (header included; nil means an empty 1.1 encapsulation).
func AppendReplyOK(b []byte, id int32, params []byte) []byte {
	b, start := beginReply(b, id, ReplyOK)
	if params == nil {
		b = append(b, 6, 0, 0, 0, 1, 1)
	} else {
		b = append(b, params...)
	}
	SetMessageSize(b[start:])
	return b
}

// AppendReplyUserException appends a complete user-exception reply; exc is
// the exception encapsulation, header included.
func AppendReplyUserException(b []byte, id int32, exc []byte) []byte {
	b, start := beginReply(b, id, ReplyUserException)
	b = append(b, exc...)
	SetMessageSize(b[start:])
	return b
}

// AppendReplyNotExist appends an ObjectNotExist, FacetNotExist or
// OperationNotExist reply.
func AppendReplyNotExist(b []byte, id int32, st ReplyStatus, ident Identity, facet, op string) []byte {
	b, start := beginReply(b, id, st)
	e := Encoder{b: b}
	e.WriteIdentity(ident)
	e.WriteFacet(facet)
	e.WriteString(op)
	b = e.b
	SetMessageSize(b[start:])
	return b
}

// AppendReplyUnknown appends an UnknownLocalException, UnknownUserException
// or UnknownException reply carrying text.
func AppendReplyUnknown(b []byte, id int32, st ReplyStatus, text string) []byte {
	b, start := beginReply(b, id, st)
	e := Encoder{b: b}
	e.WriteString(text)
	b = e.b
	SetMessageSize(b[start:])
	return b
}
