package ice

import "encoding/binary"

// Slice flags of the 1.1 encoding. Bits 0-1 (type id as string 1, index 2
// or compact id 3) are used by class slices only.
const (
	flagHasOptionalMembers  = 0x04
	flagHasIndirectionTable = 0x08
	flagHasSliceSize        = 0x10
	flagIsLastSlice         = 0x20
)

// Format is the class and exception format of the 1.1 encoding.
type Format int

const (
	// CompactFormat omits slice sizes; it is Ice's default.
	CompactFormat Format = iota
	// SlicedFormat writes slice sizes so a receiver that does not know a
	// derived type can skip it. Glacier2's createSession uses it.
	SlicedFormat
)

// AppendUserException appends an encapsulation of encoding enc holding a
// user exception with a single slice of type typeID whose data members
// writeMembers writes. This covers exceptions without a base exception and
// without class members, which is all the router raises itself.
func AppendUserException(b []byte, enc Version, format Format, typeID string, writeMembers func(*Encoder)) []byte {
	e := Encoder{b: b}
	m := e.StartEncapsulation(enc)
	if enc == Encoding10 {
		e.WriteBool(false) // usesClasses
		e.WriteString(typeID)
		sizeAt := e.Len()
		e.WriteInt32(0)
		if writeMembers != nil {
			writeMembers(&e)
		}
		binary.LittleEndian.PutUint32(e.b[sizeAt:], uint32(e.Len()-sizeAt))
	} else {
		// Exception slices always carry their type id as a string, and
		// Ice leaves the type-id bits of the flags at zero for them (those
		// bits are for class slices).
		flags := byte(flagIsLastSlice)
		if format == SlicedFormat {
			flags |= flagHasSliceSize
		}
		_ = e.WriteByte(flags)
		e.WriteString(typeID)
		sizeAt := e.Len()
		if format == SlicedFormat {
			e.WriteInt32(0)
		}
		if writeMembers != nil {
			writeMembers(&e)
		}
		if format == SlicedFormat {
			binary.LittleEndian.PutUint32(e.b[sizeAt:], uint32(e.Len()-sizeAt))
		}
	}
	e.EndEncapsulation(m)
	return e.b
}

// UserExceptionSlice is the most-derived slice of an encoded user exception.
type UserExceptionSlice struct {
	TypeID string
	// Members is the slice data, when its size is known (sliced format or
	// encoding 1.0); otherwise everything after the type id.
	Members []byte
	// Last reports whether this is the only slice.
	Last bool
}

// ParseUserException decodes the first (most-derived) slice of a user
// exception encapsulation (header included), so the router can tell which
// exception a remote object raised and read its members.
func ParseUserException(encaps []byte) (UserExceptionSlice, error) {
	d := Decoder{b: encaps}
	enc, body, err := d.Encapsulation()
	if err != nil {
		return UserExceptionSlice{}, err
	}
	if !supportedEncoding(enc) {
		return UserExceptionSlice{}, malformed("user exception in unsupported encoding %v", enc)
	}
	d = Decoder{b: body, Encoding: enc}
	if enc == Encoding10 {
		if _, err := d.Bool(); err != nil {
			return UserExceptionSlice{}, err
		}
		id, err := d.String()
		if err != nil {
			return UserExceptionSlice{}, err
		}
		size, err := d.Int32()
		if err != nil {
			return UserExceptionSlice{}, err
		}
		m, err := d.Bytes(int(size) - 4)
		if err != nil {
			return UserExceptionSlice{}, err
		}
		return UserExceptionSlice{TypeID: id, Members: m, Last: d.Remaining() == 0}, nil
	}
	flags, err := d.Byte()
	if err != nil {
		return UserExceptionSlice{}, err
	}
	// Like Ice, read the type id as a string whatever the type-id bits say:
	// they are zero in exception slices.
	id, err := d.String()
	if err != nil {
		return UserExceptionSlice{}, err
	}
	s := UserExceptionSlice{TypeID: id, Last: flags&flagIsLastSlice != 0}
	if flags&flagHasSliceSize != 0 {
		size, err := d.Int32()
		if err != nil {
			return UserExceptionSlice{}, err
		}
		if s.Members, err = d.Bytes(int(size) - 4); err != nil {
			return UserExceptionSlice{}, err
		}
	} else {
		s.Members = d.Rest()
	}
	return s, nil
}
