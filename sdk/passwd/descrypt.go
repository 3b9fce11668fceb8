package passwd

import (
	"fmt"
	"strings"
)

// Traditional DES crypt(3), which no maintained Go library implements (the
// standard crypto/des cannot be used: crypt perturbs DES's expansion with
// the salt). The algorithm: the first 8 characters of the password, each
// shifted left one bit, are the DES key; the two salt characters give 12
// bits, and salt bit i swaps bits i and i+24 of the expansion's 48-bit
// output in every round; a zero block is encrypted 25 times; the result is
// the salt followed by the 64 bits in 11 crypt64 characters, most
// significant first, the last holding 4 bits in its high positions.
//
// This is a plain bit-by-bit DES from the FIPS 46-3 tables: a password
// check runs 25 encryptions, a few microseconds, so speed does not matter.

// checkDESCrypt checks a 13-character DES crypt hash.
func checkDESCrypt(s string) error {
	if err := checkCrypt64(s); err != nil {
		return err
	}
	if last := s[12]; strings.IndexByte(crypt64, last)&3 != 0 {
		return fmt.Errorf("last character %q is not one DES crypt produces", last)
	}
	return nil
}

// desCrypt is crypt(password, salt) for a two-character salt of crypt64
// characters; password must not contain NUL.
func desCrypt(password, salt string) string {
	var key uint64
	for i := range 8 {
		key <<= 8
		if i < len(password) {
			key |= uint64(password[i]<<1) & 0xff
		}
	}
	saltValue := strings.IndexByte(crypt64, salt[0]) | strings.IndexByte(crypt64, salt[1])<<6
	var saltMask uint32
	for i := range 12 {
		if saltValue&(1<<i) != 0 {
			saltMask |= 0x800000 >> i
		}
	}
	subkeys := desKeySchedule(key)
	var block uint64
	for range 25 {
		block = desEncrypt(&subkeys, block, saltMask)
	}
	out := make([]byte, 0, 13)
	out = append(out, salt[0], salt[1])
	for shift := 58; shift >= 4; shift -= 6 {
		out = append(out, crypt64[block>>shift&63])
	}
	out = append(out, crypt64[block<<2&63])
	return string(out)
}

// permute returns the bits of in (width bits wide) that table names, bit 1
// being the most significant, as FIPS 46-3 numbers them.
func permute(in uint64, width int, table []uint8) uint64 {
	var out uint64
	for _, p := range table {
		out = out<<1 | in>>(width-int(p))&1
	}
	return out
}

// desKeySchedule returns the 16 48-bit round keys of a 64-bit key.
func desKeySchedule(key uint64) [16]uint64 {
	var keys [16]uint64
	cd := permute(key, 64, pc1[:])
	c, d := uint32(cd>>28), uint32(cd&0xfffffff)
	for i, s := range keyShifts {
		c = (c<<s | c>>(28-s)) & 0xfffffff
		d = (d<<s | d>>(28-s)) & 0xfffffff
		keys[i] = permute(uint64(c)<<28|uint64(d), 56, pc2[:])
	}
	return keys
}

// desEncrypt encrypts one block; saltMask has a bit set (in a 24-bit half
// of the expansion) for each pair of expansion bits to swap.
func desEncrypt(keys *[16]uint64, block uint64, saltMask uint32) uint64 {
	b := permute(block, 64, initialPermutation[:])
	l, r := uint32(b>>32), uint32(b)
	for _, k := range keys {
		e := permute(uint64(r), 32, expansion[:])
		el, er := uint32(e>>24), uint32(e&0xffffff)
		swap := (el ^ er) & saltMask
		e = uint64(el^swap)<<24 | uint64(er^swap)
		e ^= k
		var s uint64
		for i := range 8 {
			six := e >> (42 - 6*i) & 63
			row := six>>4&2 | six&1
			col := six >> 1 & 15
			s = s<<4 | uint64(sBoxes[i][row*16+col])
		}
		l, r = r, l^uint32(permute(s, 32, roundPermutation[:]))
	}
	return permute(uint64(r)<<32|uint64(l), 64, finalPermutation[:])
}

var initialPermutation = [64]uint8{
	58, 50, 42, 34, 26, 18, 10, 2,
	60, 52, 44, 36, 28, 20, 12, 4,
	62, 54, 46, 38, 30, 22, 14, 6,
	64, 56, 48, 40, 32, 24, 16, 8,
	57, 49, 41, 33, 25, 17, 9, 1,
	59, 51, 43, 35, 27, 19, 11, 3,
	61, 53, 45, 37, 29, 21, 13, 5,
	63, 55, 47, 39, 31, 23, 15, 7,
}

var finalPermutation = [64]uint8{
	40, 8, 48, 16, 56, 24, 64, 32,
	39, 7, 47, 15, 55, 23, 63, 31,
	38, 6, 46, 14, 54, 22, 62, 30,
	37, 5, 45, 13, 53, 21, 61, 29,
	36, 4, 44, 12, 52, 20, 60, 28,
	35, 3, 43, 11, 51, 19, 59, 27,
	34, 2, 42, 10, 50, 18, 58, 26,
	33, 1, 41, 9, 49, 17, 57, 25,
}

var expansion = [48]uint8{
	32, 1, 2, 3, 4, 5,
	4, 5, 6, 7, 8, 9,
	8, 9, 10, 11, 12, 13,
	12, 13, 14, 15, 16, 17,
	16, 17, 18, 19, 20, 21,
	20, 21, 22, 23, 24, 25,
	24, 25, 26, 27, 28, 29,
	28, 29, 30, 31, 32, 1,
}

var roundPermutation = [32]uint8{
	16, 7, 20, 21, 29, 12, 28, 17,
	1, 15, 23, 26, 5, 18, 31, 10,
	2, 8, 24, 14, 32, 27, 3, 9,
	19, 13, 30, 6, 22, 11, 4, 25,
}

var pc1 = [56]uint8{
	57, 49, 41, 33, 25, 17, 9,
	1, 58, 50, 42, 34, 26, 18,
	10, 2, 59, 51, 43, 35, 27,
	19, 11, 3, 60, 52, 44, 36,
	63, 55, 47, 39, 31, 23, 15,
	7, 62, 54, 46, 38, 30, 22,
	14, 6, 61, 53, 45, 37, 29,
	21, 13, 5, 28, 20, 12, 4,
}

var pc2 = [48]uint8{
	14, 17, 11, 24, 1, 5,
	3, 28, 15, 6, 21, 10,
	23, 19, 12, 4, 26, 8,
	16, 7, 27, 20, 13, 2,
	41, 52, 31, 37, 47, 55,
	30, 40, 51, 45, 33, 48,
	44, 49, 39, 56, 34, 53,
	46, 42, 50, 36, 29, 32,
}

var keyShifts = [16]uint32{1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1}

var sBoxes = [8][64]uint8{
	{
		14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7,
		0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8,
		4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0,
		15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13,
	},
	{
		15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10,
		3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5,
		0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15,
		13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9,
	},
	{
		10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8,
		13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1,
		13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7,
		1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12,
	},
	{
		7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15,
		13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9,
		10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4,
		3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14,
	},
	{
		2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9,
		14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6,
		4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14,
		11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3,
	},
	{
		12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11,
		10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8,
		9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6,
		4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13,
	},
	{
		4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1,
		13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6,
		1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2,
		6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12,
	},
	{
		13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7,
		1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2,
		7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8,
		2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11,
	},
}
