package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"
)

// benchPersona is the dev sign-in persona the clients browse as: a
// signed-in reader who belongs to no team.
const benchPersona = "viewer"

// newClients signs in n browser-like clients, each with its own cookie jar
// (so its own session) and its own keep-alive connections from its own
// loopback address (127.0.0.2, 127.0.0.3, ...): Steward rate-limits per
// client address, and n people do not share one.
func newClients(ctx context.Context, base string, n int) ([]*http.Client, error) {
	clients := make([]*http.Client, n)
	for i := range clients {
		jar, _ := cookiejar.New(nil)
		source := &net.TCPAddr{IP: net.IPv4(127, byte((i+2)>>16), byte((i+2)>>8), byte(i+2))}
		transport := &http.Transport{
			DialContext:         (&net.Dialer{LocalAddr: source, Timeout: 5 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 2, IdleConnTimeout: time.Minute,
		}
		clients[i] = &http.Client{
			Transport: transport, Jar: jar, Timeout: 30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
		if err := signIn(ctx, clients[i], base); err != nil {
			return nil, fmt.Errorf("client %d: %w", i+1, err)
		}
	}
	return clients, nil
}

// signIn does what a person does on the sign-in page: load it (which sets
// the CSRF cookie), then post the form choosing a demo persona.
func signIn(ctx context.Context, client *http.Client, base string) error {
	if _, err := fetch(ctx, client, http.MethodGet, base+"/login", nil); err != nil {
		return err
	}
	u, _ := url.Parse(base)
	var token string
	for _, c := range client.Jar.Cookies(u) {
		if c.Name == "steward_csrf" {
			token = c.Value
		}
	}
	if token == "" {
		return fmt.Errorf("sign in: /login set no CSRF cookie")
	}
	form := url.Values{"persona": {benchPersona}, "_csrf": {token}, "next": {"/apis"}}
	status, err := fetch(ctx, client, http.MethodPost, base+"/login/dev", strings.NewReader(form.Encode()))
	// Sign-in is rate limited per address, and every client comes from
	// 127.0.0.1: past the burst, wait for the limiter as a person would.
	for try := 0; err == nil && status == http.StatusTooManyRequests && try < 100; try++ {
		time.Sleep(100 * time.Millisecond)
		status, err = fetch(ctx, client, http.MethodPost, base+"/login/dev", strings.NewReader(form.Encode()))
	}
	if err != nil {
		return err
	}
	if status != http.StatusSeeOther {
		return fmt.Errorf("sign in: /login/dev answered %d, not a redirect; is dev sign-in off (STEWARD_OIDC_ISSUER set)?", status)
	}
	for _, c := range client.Jar.Cookies(u) {
		if c.Name == "steward_session" && c.Value != "" {
			return nil
		}
	}
	return fmt.Errorf("sign in: no session cookie after signing in")
}

func fetch(ctx context.Context, client *http.Client, method, target string, body io.Reader) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, err = io.Copy(io.Discard, res.Body)
	return res.StatusCode, err
}

// closeClients drops the clients' idle connections.
func closeClients(clients []*http.Client) {
	for _, c := range clients {
		c.CloseIdleConnections()
	}
}
