package models

import (
	"errors"
	"strings"
)

// Ranks are fractional-index keys (the scheme of rocicorp/fractional-indexing,
// which is not on the module proxy): an "integer part" whose first character
// encodes its length, followed by a base-62 fraction with no trailing zero.
// Keys compare bytewise, so a new key can always be made between two others
// and a move rewrites only the moved row. Appending keeps keys short: 10,000
// appends stay within four characters.

const rankDigits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

var smallestInteger = "A" + strings.Repeat("0", 26)

var errRank = errors.New("models: invalid rank")

// RankBetween returns a key that sorts strictly between a and b. An empty a
// means "before everything", an empty b "after everything".
func RankBetween(a, b string) (string, error) {
	if a != "" {
		if err := validateRank(a); err != nil {
			return "", err
		}
	}
	if b != "" {
		if err := validateRank(b); err != nil {
			return "", err
		}
	}
	if a != "" && b != "" && a >= b {
		return "", errRank
	}
	switch {
	case a == "" && b == "":
		return "a0", nil
	case a == "":
		ib, err := integerPart(b)
		if err != nil {
			return "", err
		}
		fb := b[len(ib):]
		if ib == smallestInteger {
			m, err := midpoint("", fb)
			return ib + m, err
		}
		if ib < b {
			return ib, nil
		}
		res, ok := decrementInteger(ib)
		if !ok {
			return "", errRank
		}
		return res, nil
	case b == "":
		ia, err := integerPart(a)
		if err != nil {
			return "", err
		}
		fa := a[len(ia):]
		i, ok := incrementInteger(ia)
		if !ok {
			m, err := midpoint(fa, "")
			return ia + m, err
		}
		return i, nil
	}
	ia, err := integerPart(a)
	if err != nil {
		return "", err
	}
	ib, err := integerPart(b)
	if err != nil {
		return "", err
	}
	fa, fb := a[len(ia):], b[len(ib):]
	if ia == ib {
		m, err := midpoint(fa, fb)
		return ia + m, err
	}
	i, ok := incrementInteger(ia)
	if !ok {
		return "", errRank
	}
	if i < b {
		return i, nil
	}
	m, err := midpoint(fa, "")
	return ia + m, err
}

// midpoint returns a fraction strictly between a and b ("" for b = no bound).
func midpoint(a, b string) (string, error) {
	zero := rankDigits[0]
	if b != "" && a >= b {
		return "", errRank
	}
	if (a != "" && a[len(a)-1] == zero) || (b != "" && b[len(b)-1] == zero) {
		return "", errRank
	}
	if b != "" {
		n := 0
		for {
			ca := zero
			if n < len(a) {
				ca = a[n]
			}
			if n >= len(b) || ca != b[n] {
				break
			}
			n++
		}
		if n > 0 {
			rest := ""
			if n < len(a) {
				rest = a[n:]
			}
			m, err := midpoint(rest, b[n:])
			return b[:n] + m, err
		}
	}
	digitA := 0
	if a != "" {
		digitA = strings.IndexByte(rankDigits, a[0])
	}
	digitB := len(rankDigits)
	if b != "" {
		digitB = strings.IndexByte(rankDigits, b[0])
	}
	if digitB-digitA > 1 {
		return string(rankDigits[(digitA+digitB+1)/2]), nil
	}
	if len(b) > 1 {
		return b[:1], nil
	}
	rest := ""
	if len(a) > 1 {
		rest = a[1:]
	}
	m, err := midpoint(rest, "")
	return string(rankDigits[digitA]) + m, err
}

func integerLength(head byte) (int, error) {
	switch {
	case head >= 'a' && head <= 'z':
		return int(head-'a') + 2, nil
	case head >= 'A' && head <= 'Z':
		return int('Z'-head) + 2, nil
	}
	return 0, errRank
}

func integerPart(key string) (string, error) {
	if key == "" {
		return "", errRank
	}
	n, err := integerLength(key[0])
	if err != nil {
		return "", err
	}
	if n > len(key) {
		return "", errRank
	}
	return key[:n], nil
}

func validateRank(key string) error {
	if key == smallestInteger {
		return errRank
	}
	for i := 0; i < len(key); i++ {
		if strings.IndexByte(rankDigits, key[i]) < 0 {
			return errRank
		}
	}
	i, err := integerPart(key)
	if err != nil {
		return err
	}
	if f := key[len(i):]; f != "" && f[len(f)-1] == rankDigits[0] {
		return errRank
	}
	return nil
}

func incrementInteger(x string) (string, bool) {
	head, digs := x[0], []byte(x[1:])
	carry := true
	for i := len(digs) - 1; carry && i >= 0; i-- {
		d := strings.IndexByte(rankDigits, digs[i]) + 1
		if d == len(rankDigits) {
			digs[i] = rankDigits[0]
		} else {
			digs[i] = rankDigits[d]
			carry = false
		}
	}
	if !carry {
		return string(head) + string(digs), true
	}
	if head == 'Z' {
		return "a" + string(rankDigits[0]), true
	}
	if head == 'z' {
		return "", false
	}
	h := head + 1
	if h > 'a' {
		digs = append(digs, rankDigits[0])
	} else {
		digs = digs[:len(digs)-1]
	}
	return string(h) + string(digs), true
}

func decrementInteger(x string) (string, bool) {
	head, digs := x[0], []byte(x[1:])
	borrow := true
	for i := len(digs) - 1; borrow && i >= 0; i-- {
		d := strings.IndexByte(rankDigits, digs[i]) - 1
		if d == -1 {
			digs[i] = rankDigits[len(rankDigits)-1]
		} else {
			digs[i] = rankDigits[d]
			borrow = false
		}
	}
	if !borrow {
		return string(head) + string(digs), true
	}
	if head == 'a' {
		return "Z" + string(rankDigits[len(rankDigits)-1]), true
	}
	if head == 'A' {
		return "", false
	}
	h := head - 1
	if h < 'Z' {
		digs = append(digs, rankDigits[len(rankDigits)-1])
	} else {
		digs = digs[:len(digs)-1]
	}
	return string(h) + string(digs), true
}
