package servicenow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/biomed-rounds/rounds/sync/secret"
	"github.com/biomed-rounds/rounds/sync/transport"
)

// OAuthToken obtains an access token from the instance's OAuth endpoint
// (POST /oauth_token.do): the password grant when user is given, else the
// client credentials grant. client must carry no Auth and know every
// secret passed here (transport.Config.Secrets), so that no error quotes
// one.
func OAuthToken(ctx context.Context, client *transport.Client, clientID string, clientSecret secret.Secret,
	user string, password secret.Secret) (secret.Secret, error) {
	tok, _, err := oauthToken(ctx, client, clientID, clientSecret, user, password)
	return tok, err
}

// OAuth returns an Auth that obtains tokens with OAuthToken's grant and
// renews them before their expires_in runs out (and once on a 401): an
// instance's tokens live 30 minutes by default, shorter than a large pull.
// tokenClient is as for OAuthToken; now is the clock (nil: time.Now).
func OAuth(tokenClient *transport.Client, clientID string, clientSecret secret.Secret, user string,
	password secret.Secret, now func() time.Time) transport.Auth {
	return transport.Refreshing(func(ctx context.Context) (secret.Secret, time.Duration, error) {
		return oauthToken(ctx, tokenClient, clientID, clientSecret, user, password)
	}, now)
}

func oauthToken(ctx context.Context, client *transport.Client, clientID string, clientSecret secret.Secret,
	user string, password secret.Secret) (secret.Secret, time.Duration, error) {
	form := url.Values{"client_id": {clientID}, "client_secret": {clientSecret.Reveal()}}
	if user != "" {
		form.Set("grant_type", "password")
		form.Set("username", user)
		form.Set("password", password.Reveal())
	} else {
		form.Set("grant_type", "client_credentials")
	}
	resp, err := client.Do(ctx, transport.Request{Method: http.MethodPost, Path: "/oauth_token.do",
		Body: []byte(form.Encode()), ContentType: "application/x-www-form-urlencoded", Idempotent: true})
	if err != nil {
		return secret.Secret{}, 0, fmt.Errorf("servicenow: OAuth token: %w", err)
	}
	var tok struct {
		AccessToken string      `json:"access_token"`
		TokenType   string      `json:"token_type"`
		Error       string      `json:"error"`
		ExpiresIn   json.Number `json:"expires_in"`
	}
	if err := json.Unmarshal(resp.Body, &tok); err != nil {
		return secret.Secret{}, 0, fmt.Errorf("servicenow: OAuth token: %w: %v", ErrResponse, err)
	}
	if tok.AccessToken == "" {
		msg := tok.Error
		if msg == "" {
			msg = "no access_token in the answer"
		}
		return secret.Secret{}, 0, fmt.Errorf("servicenow: OAuth token: %w", errors.New(client.Redact(msg)))
	}
	var ttl time.Duration
	if n, err := tok.ExpiresIn.Int64(); err == nil && n > 0 && n < 366*24*3600 {
		ttl = time.Duration(n) * time.Second
	}
	return secret.New(tok.AccessToken), ttl, nil
}
