package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/catalog"
)

// maxJSONBody bounds JSON request bodies; specs have their own, larger limit.
const maxJSONBody = 1 << 20

// bindJSON reads exactly one JSON object from the request into dst, a
// request struct. Every way a body can be wrong is a 4xx whose message says
// what to fix: the wrong content type (415), too large (413), malformed JSON
// with its position, a field the endpoint does not know, a value of the
// wrong type (400).
func bindJSON(c echo.Context, dst any) error {
	req := c.Request()
	mt, _, err := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	if err != nil || mt != echo.MIMEApplicationJSON {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, "send the body as JSON with the header Content-Type: application/json")
	}
	if req.ContentLength > maxJSONBody {
		return bodyTooLarge()
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, maxJSONBody+1))
	if err != nil {
		return fmt.Errorf("handlers: read request body: %w", err)
	}
	if len(body) > maxJSONBody {
		return bodyTooLarge()
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return badJSON(body, err, dst)
	}
	end := int(dec.InputOffset())
	if _, err := dec.Token(); err != io.EOF {
		rest := bytes.TrimLeft(body[end:], " \t\r\n")
		line, col := position(body, len(body)-len(rest))
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("the body must hold one JSON object and nothing after it; more follows at line %d, column %d", line, col))
	}
	return nil
}

func bodyTooLarge() error {
	return echo.NewHTTPError(http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is larger than the %s limit for JSON requests", humanBytes(maxJSONBody)))
}

// badJSON turns a decoding error into a 400 that points at the problem.
func badJSON(body []byte, err error, dst any) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var msg string
	switch {
	case errors.Is(err, io.EOF):
		msg = "the request body is empty; send a JSON object"
	case errors.Is(err, io.ErrUnexpectedEOF):
		line, col := position(body, len(body))
		msg = fmt.Sprintf("the JSON ends before it is complete (line %d, column %d)", line, col)
	case errors.As(err, &syn):
		line, col := position(body, int(syn.Offset)-1) // Offset counts the offending byte
		msg = fmt.Sprintf("the body is not valid JSON: %s (line %d, column %d)", strings.TrimPrefix(syn.Error(), "json: "), line, col)
	case errors.As(err, &typ):
		line, col := position(body, int(typ.Offset)-1) // Offset is just past the value
		switch {
		case typ.Field == "":
			msg = fmt.Sprintf("the body must be a JSON object, not %s", article(typ.Value))
		case isItemOf(dst, typ.Field, typ.Type):
			msg = fmt.Sprintf("each item of %q must be %s, not %s (near line %d, column %d)", typ.Field, describeType(typ.Type), article(typ.Value), line, col)
		default:
			msg = fmt.Sprintf("field %q must be %s, not %s (near line %d, column %d)", typ.Field, describeType(typ.Type), article(typ.Value), line, col)
		}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		msg = fmt.Sprintf("unknown field %s; this endpoint accepts %s", name, strings.Join(jsonFields(dst), ", "))
	default:
		msg = "the body could not be read as JSON: " + strings.TrimPrefix(err.Error(), "json: ")
	}
	return echo.NewHTTPError(http.StatusBadRequest, msg).SetInternal(err)
}

// position converts a byte offset into a 1-based line and column, the
// column counted in characters as an editor shows it.
func position(body []byte, offset int) (line, col int) {
	before := body[:min(max(offset, 0), len(body))]
	line = bytes.Count(before, []byte("\n")) + 1
	col = utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1
	return line, col
}

// describeType names a Go type the way a JSON client thinks of it.
func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint64, reflect.Float64:
		return "a number"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String {
			return "an array of strings"
		}
		return "an array of objects"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return t.String()
}

func article(jsonKind string) string {
	switch jsonKind {
	case "array", "object":
		return "an " + jsonKind
	case "number", "string", "bool":
		return "a " + jsonKind
	}
	return jsonKind
}

// jsonFields lists the JSON field names a request struct accepts, with
// those of its lists of objects in brackets: "links (title, url)".
func jsonFields(dst any) []string {
	t := reflect.TypeOf(dst)
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	var out []string
	if t.Kind() != reflect.Struct {
		return out
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		if f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct {
			name += " (" + strings.Join(jsonFields(reflect.New(f.Type).Interface()), ", ") + ")"
		}
		out = append(out, name)
	}
	return out
}

// isItemOf reports whether the JSON field at path ("tags", "links.url") is
// a list whose items should be of type want, so a message can say "each
// item of" rather than call a list a string.
func isItemOf(dst any, path string, want reflect.Type) bool {
	t := reflect.TypeOf(dst)
	for _, name := range strings.Split(path, ".") {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return false
		}
		found := false
		for i := range t.NumField() {
			if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); tag == name {
				t, found = t.Field(i).Type, true
				break
			}
		}
		if !found {
			return false
		}
	}
	return t.Kind() == reflect.Slice && t.Elem() == want
}

// listParams are the query parameters GET /api/v1/apis understands.
var listParams = []string{"q", "team", "stage", "kind", "tag", "visibility", "grade", "sort", "limit", "offset"}

// apiListQuery reads the catalogue filters and the page from the URL. Any
// parameter it does not understand, or a value it cannot use, is a 400
// naming the parameter: a typo in a script should fail, not quietly return
// the whole catalogue.
func apiListQuery(c echo.Context) (catalog.ListQuery, error) {
	bad := &catalog.ValidationError{}
	for name := range c.QueryParams() {
		if !slices.Contains(listParams, name) {
			bad.Add(name, "unknown query parameter; use "+strings.Join(listParams, ", "))
		}
	}
	q := listQueryFrom(c)
	if s := c.QueryParam("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			bad.Add("limit", fmt.Sprintf("must be a whole number from 1 to %d, not %q", catalog.MaxPageSize, s))
		}
		q.Limit = n
	}
	if s := c.QueryParam("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			bad.Add("offset", fmt.Sprintf("must be a whole number, 0 or more, not %q", s))
		}
		q.Offset = n
	}
	if err := q.Normalize(); err != nil {
		var ve *catalog.ValidationError
		if !errors.As(err, &ve) {
			return q, err
		}
		for k, msg := range ve.Fields {
			bad.Add(k, msg)
		}
	}
	if err := bad.OrNil(); err != nil {
		// A 400, not the 422 a ValidationError alone maps to: the request
		// itself is wrong, not an object it describes. The fields still
		// reach the client through the wrapped ValidationError.
		return q, echo.NewHTTPError(http.StatusBadRequest, bad.Error()).SetInternal(bad)
	}
	return q, nil
}

// notFound gives a not-found error a message that names what is missing;
// other errors pass through.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, catalog.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf(format, args...)).SetInternal(err)
	}
	return err
}

// created answers 201 with the new object and its address.
func created(c echo.Context, location string, body any) error {
	c.Response().Header().Set(echo.HeaderLocation, location)
	return c.JSON(http.StatusCreated, body)
}
