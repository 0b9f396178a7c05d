package fakegraph

import (
	"net/http"
	"slices"
	"strings"
)

// subscribableFields are the webhook fields a page may subscribe an app to.
var subscribableFields = []string{
	"messages", "messaging_postbacks", "messaging_optins", "message_deliveries", "message_reads",
	"messaging_referrals", "message_echoes", "messaging_handovers", "messaging_policy_enforcement",
	"messaging_account_linking", "message_reactions", "messaging_feedback", "standby",
	"messaging_game_plays", "messaging_customer_information", "feed",
}

// handleSubscribedApps serves GET, POST and DELETE /me/subscribed_apps.
func (s *Server) handleSubscribedApps(w http.ResponseWriter, r *http.Request, _ string) *Error {
	switch r.Method {
	case http.MethodGet:
		s.mu.Lock()
		fields := s.subscribed
		if fields == nil {
			fields = []string{fieldMessages, fieldPostbacks, fieldOptins}
		}
		fields = slices.Clone(fields)
		s.mu.Unlock()
		if len(fields) == 0 {
			writeJSON(w, http.StatusOK, map[string]any{"data": []any{}})
			return nil
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": []any{map[string]any{
			"id": "otnsim-app", "name": "otnsim", "subscribed_fields": fields}}})
		return nil
	case http.MethodPost:
		raw := r.Form.Get("subscribed_fields")
		if raw == "" {
			return s.errParam("", false, "param subscribed_fields must be non-empty.")
		}
		raw = strings.Trim(raw, "[]")
		var fields []string
		for _, f := range strings.Split(raw, ",") {
			f = strings.Trim(strings.TrimSpace(f), `"`)
			if !slices.Contains(subscribableFields, f) {
				return s.errParam("", true, "param subscribed_fields[%d] must be one of the webhook fields", len(fields))
			}
			fields = append(fields, f)
		}
		s.mu.Lock()
		s.subscribed = fields
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]bool{"success": true})
		return nil
	case http.MethodDelete:
		s.mu.Lock()
		s.subscribed = []string{}
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]bool{"success": true})
		return nil
	}
	return errUnsupported(r.Method, "me/subscribed_apps")
}

// handleMessengerProfile serves GET /me/messenger_profile; fakegraph knows
// the field subject_to_new_eu_privacy_rules.
func (s *Server) handleMessengerProfile(w http.ResponseWriter, r *http.Request, _ string) *Error {
	fields := r.Form.Get("fields")
	if fields == "" {
		return s.errParam("", false, "param fields must be non-empty.")
	}
	entry := map[string]any{}
	for _, f := range strings.Split(fields, ",") {
		if strings.TrimSpace(f) == "subject_to_new_eu_privacy_rules" {
			entry["subject_to_new_eu_privacy_rules"] = s.PageAffected()
		}
	}
	data := []any{}
	if len(entry) > 0 {
		data = append(data, entry)
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
	return nil
}

// handleProfile serves GET /{PSID}?fields=first_name,last_name,profile_pic,locale,timezone.
func (s *Server) handleProfile(w http.ResponseWriter, r *http.Request, psid string) *Error {
	fields := r.Form.Get("fields")
	if fields == "" {
		fields = "first_name,last_name,profile_pic"
	}
	s.mu.Lock()
	u, ok := s.users[psid]
	var user User
	if ok {
		user = u.User
	}
	s.mu.Unlock()
	if !ok {
		return errUnsupported(r.Method, psid)
	}
	out := map[string]any{}
	for _, f := range strings.Split(fields, ",") {
		f = strings.TrimSpace(f)
		switch f {
		case "first_name":
			out[f] = user.FirstName
		case "last_name":
			out[f] = user.LastName
		case "name":
			out[f] = strings.TrimSpace(user.FirstName + " " + user.LastName)
		case "profile_pic":
			pic := user.ProfilePic
			if pic == "" {
				pic = "https://platform-lookaside.fbsbx.com/platform/profilepic/?psid=" + psid + "&otnsim=1"
			}
			out[f] = pic
		case "locale":
			out[f] = user.Locale
		case "timezone":
			out[f] = user.offset(s.clock.Now())
		case "id":
		case "gender":
			continue
		default:
			e := oauthErr(100, 0, "Tried accessing nonexisting field (%s) on node type (User)", f)
			e.Status = s.set().ErrorStatus
			return e
		}
	}
	out["id"] = psid
	writeJSON(w, http.StatusOK, out)
	return nil
}
