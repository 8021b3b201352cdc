package notify_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/steward-governance/steward/notify"
)

func TestWebhookSenderClassesAnswers(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		body      string
		header    http.Header
		wantErr   bool
		permanent bool
		reason    string
		retry     time.Duration
	}{
		{"ok", 200, "ok", nil, false, false, "", 0},
		{"no content", 204, "", nil, false, false, "", 0},
		{"unavailable", 503, "down for maintenance", nil, true, false, "503 Service Unavailable: down for maintenance", 0},
		{"rate limited", 429, "", http.Header{"Retry-After": {"120"}}, true, false, "429", 2 * time.Minute},
		{"bad payload", 400, "invalid_payload\n", nil, true, true, "400 Bad Request: invalid_payload", 0},
		{"archived", 410, "channel_is_archived", nil, true, true, "channel_is_archived", 0},
		{"redirect", 301, "", http.Header{"Location": {"https://elsewhere.example"}}, true, true, "301", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range c.header {
					w.Header()[k] = v
				}
				w.WriteHeader(c.status)
				io.WriteString(w, c.body)
			}))
			defer srv.Close()
			err := (&notify.WebhookSender{}).Send(context.Background(), notify.WebhookRequest{URL: srv.URL, Secret: "s", Body: []byte(`{}`), Now: time.Now()})
			if (err != nil) != c.wantErr {
				t.Fatalf("Send = %v, want error %v", err, c.wantErr)
			}
			if err == nil {
				return
			}
			var de *notify.DeliveryError
			if !errors.As(err, &de) || de.Permanent != c.permanent || de.Status != c.status || !strings.Contains(de.Reason, c.reason) || de.RetryAfter != c.retry {
				t.Errorf("Send = %+v, want permanent=%v status %d reason with %q retry %v", de, c.permanent, c.status, c.reason, c.retry)
			}
		})
	}
}

func TestWebhookSenderKeepsTheURLOutOfErrors(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	url := "http://" + ln.Addr().String() + "/services/T000/B000/XXXXsecretXXXX"
	ln.Close()
	err := (&notify.WebhookSender{}).Send(context.Background(), notify.WebhookRequest{URL: url, Secret: "s", Body: []byte(`{}`), Now: time.Now()})
	if err == nil || notify.IsPermanent(err) {
		t.Fatalf("unreachable receiver: %v, want a retryable failure", err)
	}
	if strings.Contains(err.Error(), "XXXXsecretXXXX") {
		t.Errorf("the error carries the webhook URL: %v", err)
	}
}
