package servicenow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

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
		return secret.Secret{}, fmt.Errorf("servicenow: OAuth token: %w", err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		Error       string `json:"error"`
	}
	if err := json.Unmarshal(resp.Body, &tok); err != nil {
		return secret.Secret{}, fmt.Errorf("servicenow: OAuth token: %w: %v", ErrResponse, err)
	}
	if tok.AccessToken == "" {
		msg := tok.Error
		if msg == "" {
			msg = "no access_token in the answer"
		}
		return secret.Secret{}, fmt.Errorf("servicenow: OAuth token: %w", errors.New(client.Redact(msg)))
	}
	return secret.New(tok.AccessToken), nil
}
