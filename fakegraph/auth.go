package fakegraph

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"

	"github.com/otnsim/otnsim/rules"
)

// AppSecretProof returns the appsecret_proof for token under secret: the hex
// HMAC-SHA256 of the token keyed with the app secret.
func AppSecretProof(secret, token string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(token))
	return hex.EncodeToString(m.Sum(nil))
}

// credentials finds the page access token and appsecret_proof in any of the
// forms Graph accepts: the query string, an Authorization header (Bearer or
// OAuth), or a form or JSON body field.
func credentials(r *http.Request, req *SendRequest) (token, proof string) {
	if q := r.URL.RawQuery; q != "" {
		token, proof = queryCredentials(q)
	}
	if token == "" {
		if h := r.Header.Get("Authorization"); len(h) > 7 {
			if sp := strings.IndexByte(h, ' '); sp > 0 && (strings.EqualFold(h[:sp], "Bearer") || strings.EqualFold(h[:sp], "OAuth")) {
				token = strings.TrimSpace(h[sp+1:])
			}
		}
	}
	if req != nil {
		if token == "" {
			token = req.AccessToken
		}
		if proof == "" {
			proof = req.AppSecretProof
		}
	}
	return token, proof
}

// queryCredentials is url.ParseQuery(q) followed by Get("access_token") and
// Get("appsecret_proof"), without building the map for every call: a short
// query with nothing escaped (the usual ?access_token=...) is scanned in
// place, any other goes through url.ParseQuery.
func queryCredentials(q string) (token, proof string) {
	if len(q) > 2048 || strings.ContainsAny(q, "%+;") {
		v, _ := url.ParseQuery(q)
		return v.Get("access_token"), v.Get("appsecret_proof")
	}
	var haveToken, haveProof bool
	for q != "" {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case k == "access_token" && !haveToken:
			token, haveToken = v, true
		case k == "appsecret_proof" && !haveProof:
			proof, haveProof = v, true
		}
	}
	return token, proof
}

// authorize checks the page access token and the appsecret_proof.
func (s *Server) authorize(token, proof string) *Error {
	p := &s.cfg.Page
	if token == "" || token != p.AccessToken {
		return errInvalidToken(0)
	}
	switch p.AccessTokenStatus {
	case "expired":
		return errInvalidToken(463)
	case "invalidated":
		return errInvalidToken(460)
	case "app_not_authorized":
		return errInvalidToken(458)
	}
	if proof == "" {
		if p.RequireAppSecretProof || s.set().RequireAppSecretProof {
			e := oauthErr(100, 0, "API calls from the server require an appsecret_proof argument")
			e.Rule = rules.SendAuth
			return e
		}
		return nil
	}
	if !hmac.Equal([]byte(proof), []byte(s.proof)) {
		e := oauthErr(100, 0, "Invalid appsecret_proof provided in the API argument")
		e.Rule = rules.SendAuth
		return e
	}
	return nil
}
