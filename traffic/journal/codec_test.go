package journal

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/steward-governance/steward/traffic"
)

func sampleEvent() traffic.Event {
	return traffic.Event{
		Time:             time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC),
		Method:           "GET",
		Scheme:           "https",
		Host:             "api.example.com",
		Path:             "/users/42/orders",
		Route:            "/users/{id}/orders",
		Status:           200,
		Duration:         12345678 * time.Nanosecond,
		ResponseBytes:    5120,
		UserAgent:        "treblle-go/1.4 (linux)",
		Consumer:         "k:3f2a9c0d1e4b5a69",
		Authenticated:    true,
		RateLimitHeaders: true,
		HSTS:             true,
		Compressed:       true,
		SecurityHeaders:  true,
	}
}

func TestEventCodecRoundTrip(t *testing.T) {
	full := sampleEvent()
	unusual := full
	unusual.Method = "PROPFIND"
	unusual.Scheme = "h2c"
	unusual.Status = -1
	unusual.Duration = -time.Second
	unusual.ResponseBytes = math.MaxInt64
	unusual.Time = time.Date(1960, 1, 1, 0, 0, 0, 1, time.UTC)
	unusual.Path = "/ünïcode/\x00/"
	someFlags := traffic.Event{Time: full.Time, ResponseBytes: -1, HSTS: true, Compressed: true}

	for _, tc := range []struct {
		name     string
		sourceID int64
		event    traffic.Event
	}{
		{"all fields set", 7, full},
		{"zero values", 0, traffic.Event{}},
		{"unknown sizes and some flags", -3, someFlags},
		{"unusual values", math.MaxInt64, unusual},
		{"negative source id", math.MinInt64, full},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := EncodeEvent([]byte("prefix"), tc.sourceID, &tc.event)
			if string(b[:6]) != "prefix" {
				t.Fatalf("EncodeEvent overwrote dst: %q", b[:6])
			}
			id, got, err := DecodeEvent(b[6:])
			if err != nil {
				t.Fatalf("DecodeEvent: %v", err)
			}
			if id != tc.sourceID {
				t.Errorf("source id = %d, want %d", id, tc.sourceID)
			}
			if got != tc.event {
				t.Errorf("event = %+v\nwant    %+v", got, tc.event)
			}
		})
	}
}

func TestEventCodecNormalisesTimeToUTC(t *testing.T) {
	e := sampleEvent()
	e.Time = time.Now().In(time.FixedZone("CET", 3600)) // with a monotonic reading, too
	_, got, err := DecodeEvent(EncodeEvent(nil, 1, &e))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Time.Equal(e.Time) || got.Time.Location() != time.UTC {
		t.Fatalf("time = %v, want %v in UTC", got.Time, e.Time)
	}
}

func TestDecodeEventRejects(t *testing.T) {
	e := sampleEvent()
	good := EncodeEvent(nil, 1, &e)
	// version, flags, source id 1, second 0, then a billion nanoseconds and
	// ten empty fields.
	nanos := binary.AppendUvarint([]byte{eventVersion, 0, 2, 0}, uint64(time.Second))
	nanos = append(nanos, make([]byte, 10)...)
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"version only", []byte{eventVersion}},
		{"unknown version", append([]byte{2}, good[1:]...)},
		{"unknown flag", append([]byte{eventVersion, 0x80}, good[2:]...)},
		{"truncated", good[:len(good)-1]},
		{"trailing bytes", append(append([]byte(nil), good...), 0)},
		{"string past the end", []byte{eventVersion, 0, 2, 0, 0, 0x7f, 'G'}},
		{"nanoseconds out of range", nanos},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := DecodeEvent(tc.b); !errors.Is(err, ErrMalformedEvent) {
				t.Fatalf("DecodeEvent(%x) = %v, want ErrMalformedEvent", tc.b, err)
			}
		})
	}
}

func FuzzDecodeEvent(f *testing.F) {
	e := sampleEvent()
	f.Add(EncodeEvent(nil, 42, &e))
	f.Add(EncodeEvent(nil, 0, &traffic.Event{}))
	f.Add([]byte{eventVersion, 0xff})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		id, e, err := DecodeEvent(b)
		if err != nil {
			return
		}
		// Whatever decodes must survive another round trip unchanged.
		id2, e2, err := DecodeEvent(EncodeEvent(nil, id, &e))
		if err != nil || id2 != id || e2 != e {
			t.Fatalf("re-encoding %x: %d %+v %v, want %d %+v", b, id2, e2, err, id, e)
		}
	})
}
