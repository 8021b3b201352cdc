package ingest

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"strings"
	"testing"
)

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type failingReader struct{}

var errNetwork = errors.New("connection reset by peer")

func (failingReader) Read([]byte) (int, error) { return 0, errNetwork }

func TestReadBody(t *testing.T) {
	payload := []byte(`{"hello":"world"}`)
	bomb := gzipped(t, bytes.Repeat([]byte{'a'}, 10<<20))
	emptyMembers := bytes.Repeat(gzipped(t, nil), 200)
	tests := []struct {
		name     string
		body     io.Reader
		encoding string
		limit    int64
		want     []byte
		wantKind ErrorKind
		wantErr  error
	}{
		{name: "identity", body: bytes.NewReader(payload), want: payload},
		{name: "identity spelled out", body: bytes.NewReader(payload), encoding: " Identity ", want: payload},
		{name: "gzip", body: bytes.NewReader(gzipped(t, payload)), encoding: "gzip", want: payload},
		{name: "x-gzip", body: bytes.NewReader(gzipped(t, payload)), encoding: "X-GZIP", want: payload},
		{name: "exactly the limit", body: bytes.NewReader(payload), limit: int64(len(payload)), want: payload},
		{name: "one over the limit", body: bytes.NewReader(payload), limit: int64(len(payload)) - 1, wantKind: ErrTooLarge},
		{name: "gzip bomb", body: bytes.NewReader(bomb), encoding: "gzip", limit: 1 << 20, wantKind: ErrTooLarge},
		{name: "endless empty gzip members", body: bytes.NewReader(emptyMembers), encoding: "gzip", limit: 1 << 10, wantKind: ErrTooLarge},
		{name: "gzip header on plain bytes", body: bytes.NewReader(payload), encoding: "gzip", wantKind: ErrMalformed},
		{name: "truncated gzip", body: bytes.NewReader(gzipped(t, payload)[:20]), encoding: "gzip", wantKind: ErrMalformed},
		{name: "empty gzip", body: bytes.NewReader(nil), encoding: "gzip", wantKind: ErrMalformed},
		{name: "brotli", body: bytes.NewReader(payload), encoding: "br", wantKind: ErrUnsupported},
		{name: "reader fails", body: failingReader{}, wantErr: errNetwork},
		{name: "reader fails under gzip", body: io.MultiReader(bytes.NewReader(gzipped(t, payload)[:12]), failingReader{}), encoding: "gzip", wantErr: errNetwork},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadBody(tt.body, tt.encoding, tt.limit)
			switch {
			case tt.wantKind != "":
				var ie *Error
				if !errors.Is(err, tt.wantKind) || !errors.As(err, &ie) {
					t.Fatalf("err = %v, want an *Error of kind %s", err, tt.wantKind)
				}
				if ie.Format != "body" || ie.Reason == "" {
					t.Errorf("error %+v lacks a format or reason", ie)
				}
				if tt.wantKind == ErrTooLarge && ie.Limit == 0 {
					t.Errorf("too-large error does not name the limit")
				}
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if errors.Is(err, ErrMalformed) || errors.Is(err, ErrTooLarge) {
					t.Errorf("a read failure is reported as the sender's fault: %v", err)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, tt.want) {
					t.Fatalf("got %q, want %q", got, tt.want)
				}
			}
		})
	}
}

func TestReadBodyMessages(t *testing.T) {
	_, err := ReadBody(strings.NewReader(strings.Repeat("x", 3<<20)), "", 2<<20)
	if got, want := err.Error(), "ingest: body: body is larger than the 2 MiB limit"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	_, err = ReadBody(strings.NewReader("x"), "deflate", 0)
	if !strings.Contains(err.Error(), `"deflate"`) || !strings.Contains(err.Error(), "gzip") {
		t.Errorf("unsupported encoding message %q should name it and the alternative", err)
	}
}
