package fakegraph

import (
	"encoding/json"
	"unicode/utf8"

	"github.com/otnsim/otnsim/rules"
)

// Limits from the facts sheet and Meta's Send API reference.
const (
	MaxTextRunes        = 2000 // message.text
	MaxMetadataRunes    = 999  // message.metadata: under 1000
	MaxTitleRunes       = 65   // OTN request title
	MaxPayloadRunes     = 1000 // OTN request payload (assumed), postback and quick reply payloads
	MaxButtons          = 3    // buttons on a button template or a generic element
	MaxQuickReplies     = 13   // quick replies on one message
	MaxButtonTitleRunes = 20   // button and quick reply titles
	MaxButtonTextRunes  = 640  // button template text
	MaxElements         = 10   // generic template elements
	MaxElementRunes     = 80   // generic element title and subtitle
)

// parsedMsg is what validation learned about a call's content.
type parsedMsg struct {
	kind     CallKind
	text     string // message text, sender action, or the request's title
	topic    string // OTN request payload
	title    string // OTN request title
	media    bool   // audio or video: the stricter rate limit applies
	template string // template_type, if any
	// zone and frequency are a notification_messages request's
	// notification_messages_timezone and notification_messages_frequency.
	zone, frequency string
}

// templatePayload is the union of the template payloads fakegraph checks.
type templatePayload struct {
	TemplateType string          `json:"template_type"`
	Text         *string         `json:"text"`
	Title        *string         `json:"title"`
	Payload      *string         `json:"payload"`
	Buttons      []button        `json:"buttons"`
	Elements     []element       `json:"elements"`
	CTAText      string          `json:"notification_messages_cta_text"`
	Frequency    string          `json:"notification_messages_frequency"`
	ImageURL     json.RawMessage `json:"image_url"`
	Timezone     string          `json:"notification_messages_timezone"`
}

type button struct {
	Type    string `json:"type"`
	Title   string `json:"title"`
	URL     string `json:"url"`
	Payload string `json:"payload"`
}

type element struct {
	Title        string   `json:"title"`
	Subtitle     string   `json:"subtitle"`
	MediaType    string   `json:"media_type"`
	URL          string   `json:"url"`
	AttachmentID string   `json:"attachment_id"`
	Buttons      []button `json:"buttons"`
}

type mediaPayload struct {
	URL          string `json:"url"`
	AttachmentID string `json:"attachment_id"`
}

type quickReply struct {
	ContentType string `json:"content_type"`
	Title       string `json:"title"`
	Payload     string `json:"payload"`
}

// validateShape checks the parts of a request that do not depend on state
// and classifies its content.
func (s *Server) validateShape(req *SendRequest) (parsedMsg, *Error) {
	var pm parsedMsg
	n := 0
	for _, v := range [...]string{req.Recipient.ID, req.Recipient.OneTimeNotifToken, req.Recipient.UserRef, req.Recipient.NotificationMessagesToken} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		return pm, s.errParam(rules.SendFormat, false, "param recipient must name exactly one of id, one_time_notif_token, user_ref or notification_messages_token")
	}
	switch req.NotificationType {
	case "", "REGULAR", "SILENT_PUSH", "NO_PUSH":
	default:
		return pm, s.errParam(rules.SendFormat, false, "param notification_type must be one of {REGULAR, SILENT_PUSH, NO_PUSH}")
	}
	switch req.MessagingType {
	case "", "RESPONSE", "UPDATE", "MESSAGE_TAG":
	default:
		return pm, s.errParam(rules.SendFormat, false, "param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}")
	}
	if req.Message != nil && req.SenderAction != "" {
		return pm, s.errParam(rules.SendFormat, false, "param sender_action cannot be combined with message")
	}
	if req.Message == nil {
		switch req.SenderAction {
		case "typing_on", "typing_off", "mark_seen":
			pm.kind, pm.text = KindSenderAction, req.SenderAction
			return pm, nil
		case "":
			return pm, s.errParam(rules.SendFormat, false, "param message must be non-empty.")
		default:
			return pm, s.errParam(rules.SendFormat, true, "param sender_action must be one of {typing_on, typing_off, mark_seen}")
		}
	}
	pm, gerr := s.validateMessage(req.Message)
	if gerr == nil && s.set().Content == ContentBasic {
		gerr = s.basicContent(req, pm)
	}
	return pm, gerr
}

// validateMessage checks text, metadata, quick replies and the attachment.
func (s *Server) validateMessage(m *Message) (parsedMsg, *Error) {
	pm := parsedMsg{kind: KindMessage, text: m.Text}
	if m.Text == "" && m.Attachment == nil {
		return pm, s.errParam(rules.SendFormat, false, "param message must have text or attachment")
	}
	if m.Text != "" && m.Attachment != nil {
		return pm, s.errParam(rules.SendFormat, false, "param message cannot have both text and attachment")
	}
	if m.textNotUTF8 || !utf8.ValidString(m.Text) {
		// Meta requires UTF-8 text; the code of its refusal is our reading.
		return pm, s.errParam(rules.SendFormat, true, "param message[text] must be UTF-8 encoded")
	}
	if utf8.RuneCountInString(m.Text) > MaxTextRunes {
		return pm, s.errParam(rules.SendFormat, false, "param message[text] must be UTF-8 encoded with a 2000 character limit")
	}
	if utf8.RuneCountInString(m.Metadata) > MaxMetadataRunes {
		return pm, s.errParam(rules.SendFormat, false, "param message[metadata] must be less than 1000 characters")
	}
	if len(m.QuickReplies) > 0 {
		if gerr := s.validateQuickReplies(m.QuickReplies); gerr != nil {
			return pm, gerr
		}
	}
	if a := m.Attachment; a != nil {
		return s.validateAttachment(a, pm)
	}
	return pm, nil
}

func (s *Server) validateQuickReplies(raw json.RawMessage) *Error {
	var qrs []quickReply
	if err := json.Unmarshal(raw, &qrs); err != nil {
		return s.errParam(rules.SendFormat, false, "param message[quick_replies] must be an array")
	}
	if len(qrs) == 0 || len(qrs) > MaxQuickReplies {
		return s.errParam(rules.SendFormat, true, "param message[quick_replies] must have between 1 and 13 elements")
	}
	for _, q := range qrs {
		switch q.ContentType {
		case "text":
			if n := utf8.RuneCountInString(q.Title); n == 0 || n > MaxButtonTitleRunes {
				return s.errParam(rules.SendFormat, true, "param message[quick_replies][title] must be between 1 and 20 characters")
			}
			if n := utf8.RuneCountInString(q.Payload); n == 0 || n > MaxPayloadRunes {
				return s.errParam(rules.SendFormat, true, "param message[quick_replies][payload] must be between 1 and 1000 characters")
			}
		case "user_phone_number", "user_email":
		default:
			return s.errParam(rules.SendFormat, true, "param message[quick_replies][content_type] must be one of {text, user_phone_number, user_email}")
		}
	}
	return nil
}

func (s *Server) validateAttachment(a *Attachment, pm parsedMsg) (parsedMsg, *Error) {
	switch a.Type {
	case "image", "audio", "video", "file":
		var mp mediaPayload
		if err := json.Unmarshal(a.Payload, &mp); err != nil || (mp.URL == "" && mp.AttachmentID == "") {
			return pm, s.errParam(rules.SendFormat, true, "param message[attachment][payload] must have a url or an attachment_id")
		}
		pm.media = a.Type == "audio" || a.Type == "video"
		return pm, nil
	case "template":
		return s.validateTemplate(a.Payload, pm)
	default:
		return pm, s.errParam(rules.SendFormat, false, "param message[attachment][type] must be one of {image, audio, video, file, template}")
	}
}

func (s *Server) validateTemplate(raw json.RawMessage, pm parsedMsg) (parsedMsg, *Error) {
	var tp templatePayload
	if err := json.Unmarshal(raw, &tp); err != nil {
		return pm, s.errParam(rules.SendFormat, false, "param message[attachment][payload] must be an object")
	}
	pm.template = tp.TemplateType
	switch tp.TemplateType {
	case "one_time_notif_req":
		return s.validateOTNRequest(raw, tp, pm)
	case "button":
		if tp.Text == nil || *tp.Text == "" || utf8.RuneCountInString(*tp.Text) > MaxButtonTextRunes {
			return pm, s.errParam(rules.SendFormat, true, "param payload[text] of a button template must be between 1 and 640 characters")
		}
		if len(tp.Buttons) == 0 || len(tp.Buttons) > MaxButtons {
			return pm, s.errParam(rules.SendFormat, true, "param payload[buttons] of a button template must have between 1 and 3 buttons")
		}
		pm.text = *tp.Text
		return pm, s.validateButtons(tp.Buttons)
	case "generic":
		if len(tp.Elements) == 0 || len(tp.Elements) > MaxElements {
			return pm, s.errParam(rules.SendFormat, true, "param payload[elements] of a generic template must have between 1 and 10 elements")
		}
		for _, el := range tp.Elements {
			if n := utf8.RuneCountInString(el.Title); n == 0 || n > MaxElementRunes || utf8.RuneCountInString(el.Subtitle) > MaxElementRunes {
				return pm, s.errParam(rules.SendFormat, true, "param elements[title] must be between 1 and 80 characters, subtitle at most 80")
			}
			if len(el.Buttons) > MaxButtons {
				return pm, s.errParam(rules.SendFormat, true, "param elements[buttons] must have at most 3 buttons")
			}
			if gerr := s.validateButtons(el.Buttons); gerr != nil {
				return pm, gerr
			}
		}
		pm.text = tp.Elements[0].Title
		return pm, nil
	case "media":
		if len(tp.Elements) != 1 {
			return pm, s.errParam(rules.SendFormat, true, "param payload[elements] of a media template must have exactly 1 element")
		}
		el := tp.Elements[0]
		if (el.MediaType != "image" && el.MediaType != "video") || (el.URL == "" && el.AttachmentID == "") || len(el.Buttons) > MaxButtons {
			return pm, s.errParam(rules.SendFormat, true, "param elements of a media template need media_type image or video, a url or attachment_id, and at most 3 buttons")
		}
		pm.media = el.MediaType == "video"
		return pm, s.validateButtons(el.Buttons)
	case "notification_messages":
		return s.validateRecurringRequest(tp, pm)
	case "receipt", "product", "customer_feedback":
		return pm, nil
	default:
		return pm, s.errParam(rules.SendFormat, false, "param payload[template_type] is not a supported template type")
	}
}

func (s *Server) validateButtons(bs []button) *Error {
	for _, b := range bs {
		switch b.Type {
		case "web_url", "postback", "phone_number":
			if n := utf8.RuneCountInString(b.Title); n == 0 || n > MaxButtonTitleRunes {
				return s.errParam(rules.SendFormat, true, "param buttons[title] must be between 1 and 20 characters")
			}
			if b.Type == "web_url" && b.URL == "" {
				return s.errParam(rules.SendFormat, true, "param buttons[url] is required for a web_url button")
			}
			if b.Type != "web_url" && (b.Payload == "" || utf8.RuneCountInString(b.Payload) > MaxPayloadRunes) {
				return s.errParam(rules.SendFormat, true, "param buttons[payload] must be between 1 and 1000 characters")
			}
		case "account_link":
			if b.URL == "" {
				return s.errParam(rules.SendFormat, true, "param buttons[url] is required for an account_link button")
			}
		case "account_unlink", "game_play":
		default:
			return s.errParam(rules.SendFormat, true, "param buttons[type] is not a supported button type")
		}
	}
	return nil
}

// validateOTNRequest applies the one_time_notif_req template rules.
func (s *Server) validateOTNRequest(raw json.RawMessage, tp templatePayload, pm parsedMsg) (parsedMsg, *Error) {
	pm.kind = KindOTNRequest
	if s.set().RequestOnlyTitlePayload {
		var keys map[string]json.RawMessage
		_ = json.Unmarshal(raw, &keys)
		for k := range keys {
			if k != "template_type" && k != "title" && k != "payload" {
				return pm, s.errParam(rules.ReqFormat, true, "param message[attachment][payload][%s] is not allowed in one_time_notif_req", k)
			}
		}
	}
	if tp.Title != nil {
		pm.title, pm.text = *tp.Title, *tp.Title
	}
	if tp.Payload != nil {
		pm.topic = *tp.Payload
	}
	if n := utf8.RuneCountInString(pm.title); n == 0 || n > MaxTitleRunes {
		return pm, s.errParam(rules.ReqFormat, true, "param title must be between 1 and 65 characters")
	}
	if n := utf8.RuneCountInString(pm.topic); n == 0 || n > s.set().MaxRequestPayloadRunes {
		return pm, s.errParam(rules.ReqFormat, true, "param payload must be between 1 and %d characters", s.set().MaxRequestPayloadRunes)
	}
	return pm, nil
}
