package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"
)

// Email is one plain-text email as it is sent.
type Email struct {
	// From is the sender as configured: "Steward <steward@example.com>".
	From      string
	To        string
	Subject   string
	Body      string
	Date      time.Time
	MessageID string
}

// ComposeEmail writes message m as an email from from to to: the title as
// the subject, then the text, the fields and the link.
func ComposeEmail(m Message, from, to, base string, now time.Time) (Email, error) {
	sender, err := mail.ParseAddress(from)
	if err != nil || strings.ContainsAny(from, "\r\n") {
		return Email{}, fmt.Errorf("notify: the sender %q is not an email address", from)
	}
	rcpt, err := ParseAddress(to)
	if err != nil {
		return Email{}, fmt.Errorf("notify: %w", err)
	}
	var b strings.Builder
	if t := strings.TrimSpace(m.Text); t != "" {
		b.WriteString(t)
		b.WriteString("\n\n")
	}
	for _, f := range m.Fields {
		b.WriteString(f.Label + ": " + f.Value + "\n")
	}
	if len(m.Fields) > 0 {
		b.WriteString("\n")
	}
	if link := m.Link(base); link != "" {
		b.WriteString("Open in Steward: " + link + "\n\n")
	}
	b.WriteString("-- \nSent by Steward (" + m.Kind + ").\n")
	domain := sender.Address[strings.LastIndex(sender.Address, "@")+1:]
	return Email{
		From:      sender.String(),
		To:        (&mail.Address{Address: rcpt}).String(),
		Subject:   "[Steward] " + m.Title,
		Body:      b.String(),
		Date:      now,
		MessageID: "<" + randomHex(16) + "@" + domain + ">",
	}, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail
	return hex.EncodeToString(b)
}

// Bytes renders the email as RFC 5322 text with CRLF line ends and a
// quoted-printable UTF-8 body. It refuses a line break in any header
// value: that is how a value smuggles in headers of its own (a Bcc).
func (e Email) Bytes() ([]byte, error) {
	headers := []struct{ name, value string }{
		{"From", e.From},
		{"To", e.To},
		{"Subject", e.Subject},
		{"Date", e.Date.Format(time.RFC1123Z)},
		{"Message-ID", e.MessageID},
	}
	var buf bytes.Buffer
	for _, h := range headers {
		if strings.ContainsAny(h.value, "\r\n") {
			return nil, fmt.Errorf("notify: the %s header holds a line break", h.name)
		}
		if h.value == "" {
			return nil, fmt.Errorf("notify: the %s header is empty", h.name)
		}
		v := h.value
		if h.name == "Subject" {
			v = mime.QEncoding.Encode("utf-8", v)
		}
		buf.WriteString(h.name + ": " + v + "\r\n")
	}
	buf.WriteString("MIME-Version: 1.0\r\n")
	buf.WriteString("Content-Type: text/plain; charset=utf-8\r\n")
	buf.WriteString("Content-Transfer-Encoding: quoted-printable\r\n")
	// RFC 3834: out-of-office replies should not answer a notification.
	buf.WriteString("Auto-Submitted: auto-generated\r\n")
	buf.WriteString("\r\n")
	body := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(e.Body)
	qp := quotedprintable.NewWriter(&buf)
	if _, err := qp.Write([]byte(body)); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// EmailRequest is one email delivery.
type EmailRequest struct {
	To      string
	Message Message
	// BaseURL makes the message's link absolute.
	BaseURL string
	Now     time.Time
}

// SMTPSender sends email through one SMTP server: STARTTLS whenever the
// server offers it, then PLAIN authentication when a username is set
// (never over an unencrypted connection, except to a loopback relay).
// A 5xx reply is a permanent failure; 4xx replies and network trouble are
// retried.
type SMTPSender struct {
	// Addr is host:port (STEWARD_SMTP_ADDR).
	Addr     string
	Username string
	Password string
	// From is the sender (STEWARD_SMTP_FROM).
	From string
	// Hello is the name given in EHLO; empty says "localhost".
	Hello string
	// Timeout bounds one email's whole conversation; zero means 30s.
	Timeout time.Duration
	// TLSConfig is used for STARTTLS; nil verifies the certificate against
	// the host in Addr.
	TLSConfig *tls.Config
}

// Send delivers one email.
func (s *SMTPSender) Send(ctx context.Context, r EmailRequest) error {
	e, err := ComposeEmail(r.Message, s.From, r.To, r.BaseURL, r.Now)
	if err != nil {
		return &DeliveryError{Permanent: true, Reason: err.Error()}
	}
	raw, err := e.Bytes()
	if err != nil {
		return &DeliveryError{Permanent: true, Reason: err.Error()}
	}
	rcpt, _ := ParseAddress(r.To)
	sender, _ := mail.ParseAddress(s.From)
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return &DeliveryError{Permanent: true, Reason: fmt.Sprintf("STEWARD_SMTP_ADDR %q is not host:port", s.Addr)}
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	dialer := net.Dialer{Timeout: timeout}
	conn, err := dialer.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return &DeliveryError{Reason: "cannot reach the mail server: " + err.Error()}
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()

	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return smtpFailure("greeting", err)
	}
	defer c.Close()
	if s.Hello != "" {
		if err := c.Hello(s.Hello); err != nil {
			return smtpFailure("EHLO", err)
		}
	}
	encrypted := false
	if ok, _ := c.Extension("STARTTLS"); ok {
		cfg := s.TLSConfig
		if cfg == nil {
			cfg = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
		}
		if err := c.StartTLS(cfg); err != nil {
			return smtpFailure("STARTTLS", err)
		}
		encrypted = true
	}
	if s.Username != "" {
		if !encrypted && !isLoopback(host) {
			return &DeliveryError{Permanent: true, Reason: "the mail server does not offer STARTTLS, so Steward will not send it the SMTP password; use the server's submission port (587)"}
		}
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, host)); err != nil {
			return smtpFailure("AUTH", err)
		}
	}
	if err := c.Mail(sender.Address); err != nil {
		return smtpFailure("MAIL FROM", err)
	}
	if err := c.Rcpt(rcpt); err != nil {
		return smtpFailure("RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return smtpFailure("DATA", err)
	}
	if _, err := w.Write(raw); err != nil {
		return smtpFailure("DATA", err)
	}
	if err := w.Close(); err != nil {
		return smtpFailure("DATA", err)
	}
	// The server has taken the message; a failed goodbye changes nothing.
	_ = c.Quit()
	return nil
}

// smtpFailure classes an SMTP error: a 5xx reply will not change on retry.
func smtpFailure(step string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) {
		return &DeliveryError{Permanent: te.Code >= 500, Status: te.Code,
			Reason: fmt.Sprintf("the mail server refused %s: %d %s", step, te.Code, clip(te.Msg, 200))}
	}
	return &DeliveryError{Reason: fmt.Sprintf("talking to the mail server (%s): %v", step, err)}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
