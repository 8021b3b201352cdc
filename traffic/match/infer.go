package match

import "strings"

// InferTemplate guesses the path template behind a concrete request path,
// for requests no spec documents. Each segment that looks like an
// identifier becomes a parameter:
//
//   - UUIDs (8-4-4-4-12 hex digits) become {uuid};
//   - dates (2024-01-31, 2024-01, or a date with a time after a T) become
//     {date};
//   - e-mail addresses become {email};
//   - integers, hex strings of 16 or more characters (object ids, hashes),
//     ULIDs, and base64-like tokens of 20 or more characters that either
//     mix digits, upper and lower case (two of each at least) or are at
//     least a quarter digits become {id}.
//
// An identifier with a short file extension keeps it: "42.json" becomes
// "{id}.json". Everything else (words, slugs, version segments like "v2")
// is kept. Empty segments and a trailing slash are dropped; the root is
// "/". Names repeat ("/users/{id}/orders/{id}") so that the same shape
// always gives the same template. A path already in that form comes back
// as it is, without allocating.
func InferTemplate(path string) string {
	// Copy nothing until a segment changes or the path proves not to be
	// in canonical form; most paths without ids never get that far.
	i := 0
	if path != "/" {
		for i < len(path) {
			if path[i] != '/' || i+1 == len(path) || path[i+1] == '/' {
				break
			}
			end := strings.IndexByte(path[i+1:], '/')
			if end < 0 {
				end = len(path)
			} else {
				end += i + 1
			}
			if ph, _ := placeholder(path[i+1 : end]); ph != "" {
				break
			}
			i = end
		}
		if i == len(path) && i > 0 {
			return path
		}
	} else {
		return path
	}
	var b strings.Builder
	b.Grow(len(path) + 8)
	b.WriteString(path[:i])
	for seg, rest := nextSegment(path[i:]); seg != ""; seg, rest = nextSegment(rest) {
		b.WriteByte('/')
		if ph, ext := placeholder(seg); ph != "" {
			b.WriteString(ph)
			b.WriteString(ext)
		} else {
			b.WriteString(seg)
		}
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

// placeholder returns the parameter a segment stands for and the file
// extension to keep after it, or "" when the segment is a literal.
func placeholder(seg string) (ph, ext string) {
	if ph := identifier(seg); ph != "" {
		return ph, ""
	}
	if dot := strings.LastIndexByte(seg, '.'); dot > 0 && isExtension(seg[dot+1:]) {
		if ph := identifier(seg[:dot]); ph != "" {
			return ph, seg[dot:]
		}
	}
	return "", ""
}

// identifier names the kind of identifier s is, or returns "".
func identifier(s string) string {
	switch {
	case isInteger(s):
		return "{id}"
	case isUUID(s):
		return "{uuid}"
	case isDate(s):
		return "{date}"
	case isEmail(s):
		return "{email}"
	case isHexID(s), isULID(s), isToken(s):
		return "{id}"
	}
	return ""
}

func isExtension(s string) bool {
	if len(s) == 0 || len(s) > 5 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlpha(s[i]) && !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isHex(c byte) bool   { return hexDigits[c] }

// hexDigits answers isHex with one load: UUIDs and object ids make it the
// hottest check in inference.
var hexDigits = func() (t [256]bool) {
	for _, c := range "0123456789abcdefABCDEF" {
		t[c] = true
	}
	return t
}()

func isInteger(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHex(s[i]) {
				return false
			}
		}
	}
	return true
}

func isHexID(s string) bool {
	if len(s) < 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

// isULID reports a ULID: 26 characters of Crockford base32, the first no
// higher than 7 (the timestamp's top bits).
func isULID(s string) bool {
	if len(s) != 26 || s[0] < '0' || s[0] > '7' {
		return false
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i] | 0x20; { // lower-case letters; digits are unchanged
		case isDigit(s[i]):
		case c >= 'a' && c <= 'z' && c != 'i' && c != 'l' && c != 'o' && c != 'u':
		default:
			return false
		}
	}
	return true
}

// isDate reports YYYY-MM, YYYY-MM-DD, or YYYY-MM-DD followed by T and a
// time.
func isDate(s string) bool {
	if len(s) < 7 || !isInteger(s[:4]) || s[4] != '-' || !twoDigits(s[5:7], 1, 12) {
		return false
	}
	if len(s) == 7 {
		return true
	}
	if len(s) < 10 || s[7] != '-' || !twoDigits(s[8:10], 1, 31) {
		return false
	}
	return len(s) == 10 || len(s) > 11 && (s[10] == 'T' || s[10] == 't') && isDigit(s[11])
}

func twoDigits(s string, lo, hi int) bool {
	if !isDigit(s[0]) || !isDigit(s[1]) {
		return false
	}
	n := int(s[0]-'0')*10 + int(s[1]-'0')
	return n >= lo && n <= hi
}

func isEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	if at <= 0 || strings.IndexByte(s[at+1:], '@') >= 0 {
		return false
	}
	domain := s[at+1:]
	dot := strings.LastIndexByte(domain, '.')
	return dot > 0 && dot < len(domain)-1 && !strings.ContainsAny(s, " \t")
}

// isToken reports a random-looking token in a base64 or base64url
// alphabet. Slugs such as "oauth2-authorization-server" and camel-case
// names such as "listOrdersByCustomerV2" stay literal: they are mostly
// letters of one case.
func isToken(s string) bool {
	if len(s) < 20 {
		return false
	}
	var digits, upper, lower int
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c):
			digits++
		case c >= 'A' && c <= 'Z':
			upper++
		case c >= 'a' && c <= 'z':
			lower++
		case c == '-' || c == '_' || c == '+' || c == '=' || c == '~':
		default:
			return false
		}
	}
	return digits >= 2 && upper >= 2 && lower >= 2 || digits > 0 && digits*4 >= len(s)
}
