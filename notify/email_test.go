package notify_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-governance/steward/notify"
)

// fakeSMTP speaks just enough SMTP (RFC 5321) for net/smtp: EHLO, AUTH
// PLAIN, MAIL, RCPT, DATA, QUIT. It keeps what it was told.
type fakeSMTP struct {
	addr string
	// rcptReply, when set, answers RCPT TO instead of 250.
	rcptReply string

	mu       sync.Mutex
	auth     []string // decoded AUTH PLAIN credentials
	from     []string
	rcpt     []string
	messages []string
}

func newFakeSMTP(t *testing.T) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	f := &fakeSMTP{addr: ln.Addr().String()}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(conn)
		}
	}()
	return f
}

func (f *fakeSMTP) serve(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	say := func(line string) { io.WriteString(conn, line+"\r\n") }
	say("220 fake.example ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		f.mu.Lock()
		switch {
		case verb == "EHLO":
			say("250-fake.example")
			say("250 AUTH PLAIN")
		case verb == "AUTH":
			raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(line, "AUTH PLAIN "))
			f.auth = append(f.auth, string(raw))
			say("235 2.7.0 Authentication successful")
		case strings.HasPrefix(strings.ToUpper(line), "MAIL FROM:"):
			f.from = append(f.from, line[len("MAIL FROM:"):])
			say("250 2.1.0 Ok")
		case strings.HasPrefix(strings.ToUpper(line), "RCPT TO:"):
			if f.rcptReply != "" {
				say(f.rcptReply)
				break
			}
			f.rcpt = append(f.rcpt, line[len("RCPT TO:"):])
			say("250 2.1.5 Ok")
		case verb == "DATA":
			say("354 End data with <CR><LF>.<CR><LF>")
			f.mu.Unlock()
			var msg strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				msg.WriteString(strings.TrimPrefix(l, "."))
			}
			f.mu.Lock()
			f.messages = append(f.messages, msg.String())
			say("250 2.0.0 Ok: queued")
		case verb == "QUIT":
			say("221 2.0.0 Bye")
			f.mu.Unlock()
			return
		default:
			say("502 5.5.2 Command not recognised")
		}
		f.mu.Unlock()
	}
}

func (f *fakeSMTP) received() (auth, from, rcpt, messages []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.auth...), append([]string(nil), f.from...), append([]string(nil), f.rcpt...), append([]string(nil), f.messages...)
}

func TestSMTPSenderSendsAPlainTextEmail(t *testing.T) {
	srv := newFakeSMTP(t)
	sender := &notify.SMTPSender{Addr: srv.addr, Username: "steward", Password: "pw-9", From: "Steward <steward@example.com>", Hello: "steward.test", Timeout: 5 * time.Second}
	now := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	m := notify.Message{
		Kind: "retirement.reminder", Title: "Pets v1 retires in 7 days — café",
		Text:   "Three consumers still call it.\n.A line starting with a dot",
		URL:    "/retirements/42",
		Fields: []notify.Field{{Label: "Sunset", Value: "27 Nov 2026"}},
	}
	err := sender.Send(context.Background(), notify.EmailRequest{To: "Owner <owner@example.com>", Message: m, BaseURL: "https://steward.example.com", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	auth, from, rcpt, messages := srv.received()
	if len(auth) != 1 || auth[0] != "\x00steward\x00pw-9" {
		t.Errorf("AUTH PLAIN = %q", auth)
	}
	if len(from) != 1 || from[0] != "<steward@example.com>" || len(rcpt) != 1 || rcpt[0] != "<owner@example.com>" {
		t.Errorf("envelope from %q to %q", from, rcpt)
	}
	if len(messages) != 1 {
		t.Fatalf("messages = %d", len(messages))
	}
	msg, err := mail.ReadMessage(strings.NewReader(messages[0]))
	if err != nil {
		t.Fatalf("not an RFC 5322 message: %v\n%s", err, messages[0])
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	date, _ := msg.Header.Date()
	headers := map[string]string{
		"From":                      msg.Header.Get("From"),
		"To":                        msg.Header.Get("To"),
		"Subject":                   subject,
		"Content-Type":              msg.Header.Get("Content-Type"),
		"Content-Transfer-Encoding": msg.Header.Get("Content-Transfer-Encoding"),
		"Auto-Submitted":            msg.Header.Get("Auto-Submitted"),
	}
	want := map[string]string{
		"From":                      `"Steward" <steward@example.com>`,
		"To":                        "<owner@example.com>",
		"Subject":                   "[Steward] Pets v1 retires in 7 days — café",
		"Content-Type":              "text/plain; charset=utf-8",
		"Content-Transfer-Encoding": "quoted-printable",
		"Auto-Submitted":            "auto-generated",
	}
	for k, v := range want {
		if headers[k] != v {
			t.Errorf("%s = %q, want %q", k, headers[k], v)
		}
	}
	if !date.Equal(now) {
		t.Errorf("Date = %v, want %v", date, now)
	}
	if id := msg.Header.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@example.com>") {
		t.Errorf("Message-ID = %q", id)
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
	wantBody := "Three consumers still call it.\r\n.A line starting with a dot\r\n\r\nSunset: 27 Nov 2026\r\n\r\nOpen in Steward: https://steward.example.com/retirements/42\r\n\r\n-- \r\nSent by Steward (retirement.reminder).\r\n"
	if string(body) != wantBody {
		t.Errorf("body = %q\nwant   %q", body, wantBody)
	}
}

func TestSMTPSenderRefusesHeaderInjection(t *testing.T) {
	srv := newFakeSMTP(t)
	sender := &notify.SMTPSender{Addr: srv.addr, From: "steward@example.com", Timeout: 5 * time.Second}
	ok := notify.Message{Kind: "steward.test", Title: "Hello"}
	injected := ok
	injected.Title = "Hello\r\nBcc: everyone@example.com"
	cases := []struct {
		name string
		to   string
		msg  notify.Message
	}{
		{"subject", "owner@example.com", injected},
		{"recipient", "owner@example.com\r\nBcc: everyone@example.com", ok},
		{"bare LF", "owner@example.com\nBcc: everyone@example.com", ok},
	}
	for _, c := range cases {
		err := sender.Send(context.Background(), notify.EmailRequest{To: c.to, Message: c.msg, Now: time.Now()})
		if err == nil || !notify.IsPermanent(err) || !strings.Contains(err.Error(), "line break") {
			t.Errorf("%s: Send = %v, want a permanent refusal naming the line break", c.name, err)
		}
	}
	if _, _, rcpt, messages := srv.received(); len(rcpt)+len(messages) > 0 {
		t.Errorf("the server was given %q and %d messages", rcpt, len(messages))
	}
	bad := notify.Email{From: "steward@example.com", To: "<a@example.com>", Subject: "x\nBcc: b@example.com", Date: time.Now(), MessageID: "<1@example.com>"}
	if _, err := bad.Bytes(); err == nil {
		t.Error("Email.Bytes wrote a subject with a line break")
	}
}

func TestSMTPSenderClassesFailures(t *testing.T) {
	srv := newFakeSMTP(t)
	srv.rcptReply = "550 5.1.1 No such mailbox"
	sender := &notify.SMTPSender{Addr: srv.addr, From: "steward@example.com", Timeout: 5 * time.Second}
	msg := notify.Message{Kind: "steward.test", Title: "Hello"}
	err := sender.Send(context.Background(), notify.EmailRequest{To: "gone@example.com", Message: msg, Now: time.Now()})
	var de *notify.DeliveryError
	if !errors.As(err, &de) || !de.Permanent || de.Status != 550 || !strings.Contains(de.Reason, "No such mailbox") {
		t.Errorf("550 on RCPT: %v, want permanent with the reply", err)
	}
	srv.rcptReply = "451 4.3.0 Try again later"
	err = sender.Send(context.Background(), notify.EmailRequest{To: "busy@example.com", Message: msg, Now: time.Now()})
	if err == nil || notify.IsPermanent(err) {
		t.Errorf("451 on RCPT: %v, want a retryable failure", err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln.Addr().String()
	ln.Close()
	down := &notify.SMTPSender{Addr: closed, From: "steward@example.com", Timeout: time.Second}
	if err := down.Send(context.Background(), notify.EmailRequest{To: "a@example.com", Message: msg, Now: time.Now()}); err == nil || notify.IsPermanent(err) {
		t.Errorf("server down: %v, want a retryable failure", err)
	}
}

// TestSMTPSenderKeepsThePasswordOffPlainLinks sends with a username to a
// server that offers no STARTTLS on a non-loopback address of this
// machine: the password must not be sent.
func TestSMTPSenderKeepsThePasswordOffPlainLinks(t *testing.T) {
	var ip net.IP
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			ip = n.IP
			break
		}
	}
	if ip == nil {
		t.Skip("this machine has no non-loopback IPv4 address")
	}
	ln, err := net.Listen("tcp", ip.String()+":0")
	if err != nil {
		t.Skip(err)
	}
	t.Cleanup(func() { ln.Close() })
	srv := &fakeSMTP{addr: ln.Addr().String()}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go srv.serve(conn)
		}
	}()
	sender := &notify.SMTPSender{Addr: srv.addr, Username: "u", Password: "secret-pw", From: "steward@example.com", Timeout: 5 * time.Second}
	err = sender.Send(context.Background(), notify.EmailRequest{To: "a@example.com", Message: notify.Message{Kind: "steward.test", Title: "Hello"}, Now: time.Now()})
	if !notify.IsPermanent(err) || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("Send = %v, want a permanent refusal naming STARTTLS", err)
	}
	if auth, _, _, _ := srv.received(); len(auth) > 0 {
		t.Errorf("the password was sent in clear: %q", auth)
	}
}
