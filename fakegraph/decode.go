package fakegraph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"strings"
	"unicode/utf8"
)

// MaxBodyBytes is the largest request body fakegraph reads.
const MaxBodyBytes = 1 << 20

// ErrContentType is returned by DecodeSendRequest for a body in a media type
// the Graph API does not read.
var ErrContentType = errors.New("unsupported content type")

// SendRequest is the body of a Send API call.
type SendRequest struct {
	Recipient        Recipient `json:"recipient"`
	MessagingType    string    `json:"messaging_type,omitempty"`
	Tag              string    `json:"tag,omitempty"`
	Message          *Message  `json:"message,omitempty"`
	SenderAction     string    `json:"sender_action,omitempty"`
	NotificationType string    `json:"notification_type,omitempty"`
	AccessToken      string    `json:"access_token,omitempty"`
	AppSecretProof   string    `json:"appsecret_proof,omitempty"`
}

// Recipient names who a message goes to.
type Recipient struct {
	ID                        string `json:"id,omitempty"`
	OneTimeNotifToken         string `json:"one_time_notif_token,omitempty"`
	UserRef                   string `json:"user_ref,omitempty"`
	NotificationMessagesToken string `json:"notification_messages_token,omitempty"`
}

// Message is the message object of a Send API call.
type Message struct {
	Text         string          `json:"text,omitempty"`
	Attachment   *Attachment     `json:"attachment,omitempty"`
	QuickReplies json.RawMessage `json:"quick_replies,omitempty"`
	Metadata     string          `json:"metadata,omitempty"`
	// textNotUTF8 records that the body's text bytes were not valid UTF-8:
	// the JSON decoder replaces such bytes, so validation could not see them.
	textNotUTF8 bool
}

// Attachment is a message attachment: media or a template.
type Attachment struct {
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload"`
}

// DecodeSendRequest parses a Send API body. JSON bodies (application/json,
// text/json, or no content type) are read directly; form-encoded and
// multipart bodies carry the JSON objects in fields, as Graph accepts them.
// Any other media type is refused with ErrContentType.
func DecodeSendRequest(contentType string, body []byte) (*SendRequest, error) {
	mt, params := contentType, map[string]string(nil)
	if contentType != "application/json" { // what nearly every bot sends needs no parsing
		mt, params, _ = mime.ParseMediaType(contentType)
	}
	switch mt {
	case "", "application/json", "text/json", "text/plain":
	case "application/x-www-form-urlencoded":
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, fmt.Errorf("parse form body: %w", err)
		}
		return decodeForm(vals)
	case "multipart/form-data":
		vals, err := parseMultipart(body, params["boundary"])
		if err != nil {
			return nil, fmt.Errorf("parse multipart body: %w", err)
		}
		return decodeForm(vals)
	default:
		return nil, fmt.Errorf("decode %q body: %w", mt, ErrContentType)
	}
	if req, ok := decodeJSONFast(body); ok {
		return req, nil
	}
	var req SendRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, fmt.Errorf("parse JSON body: %w", err)
	}
	if req.Message != nil && !utf8.Valid(body) {
		req.Message.textNotUTF8 = textNotUTF8(body, true)
	}
	return &req, nil
}

// textNotUTF8 reports whether the raw bytes of message.text in a JSON body
// (or of text in a form's message field, when whole is false) are not
// valid UTF-8. It runs only for a body that holds invalid bytes somewhere.
func textNotUTF8(raw []byte, whole bool) bool {
	var msg struct {
		Text json.RawMessage `json:"text"`
	}
	if whole {
		var probe struct {
			Message json.RawMessage `json:"message"`
		}
		if json.Unmarshal(raw, &probe) != nil {
			return false
		}
		raw = probe.Message
	}
	if json.Unmarshal(raw, &msg) != nil {
		return false
	}
	return !utf8.Valid(msg.Text)
}

// decodeForm turns form fields into a SendRequest: object-valued fields hold JSON.
func decodeForm(vals url.Values) (*SendRequest, error) {
	obj := make(map[string]json.RawMessage, len(vals))
	for k, v := range vals {
		if len(v) == 0 {
			continue
		}
		raw := strings.TrimSpace(v[0])
		if strings.HasPrefix(raw, "{") {
			if !json.Valid([]byte(raw)) {
				return nil, fmt.Errorf("form field %s: invalid JSON", k)
			}
			obj[k] = json.RawMessage(raw)
		} else {
			q, _ := json.Marshal(v[0])
			obj[k] = q
		}
	}
	body, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("re-encode form: %w", err)
	}
	var req SendRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, fmt.Errorf("parse form fields: %w", err)
	}
	if m := vals.Get("message"); req.Message != nil && !utf8.ValidString(m) {
		req.Message.textNotUTF8 = textNotUTF8([]byte(m), false)
	}
	return &req, nil
}

// parseMultipart reads the text fields of a multipart body; files are ignored.
func parseMultipart(body []byte, boundary string) (url.Values, error) {
	if boundary == "" {
		return nil, errors.New("no boundary")
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	vals := url.Values{}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return vals, nil
		}
		if err != nil {
			return nil, err
		}
		if p.FileName() != "" {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(p, MaxBodyBytes))
		if err != nil {
			return nil, err
		}
		vals.Add(p.FormName(), string(b))
	}
}
