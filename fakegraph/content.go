package fakegraph

import "github.com/otnsim/otnsim/rules"

// Content modes (Settings.Content): what a message may carry.
const (
	// ContentRich accepts everything the Send API does: text, media, every
	// template, quick replies.
	ContentRich = "rich"
	// ContentBasic accepts only text or a button template of at most 3
	// buttons (and the OTN and recurring notifications request templates),
	// as some platforms send; anything richer is refused with code 100.
	ContentBasic = "basic"
)

// ContentModes returns the values Settings.Content may take.
func ContentModes() []string { return []string{ContentRich, ContentBasic} }

// basicContent refuses, in the basic content mode, a message richer than
// text or a button template. A token send breaks OTN-CONTENT, any other
// SEND-FORMAT.
func (s *Server) basicContent(req *SendRequest, pm parsedMsg) *Error {
	m := req.Message
	rule := rules.SendFormat
	if req.Recipient.OneTimeNotifToken != "" {
		rule = rules.Content
	}
	switch {
	case len(m.QuickReplies) > 0:
		return s.errParam(rule, false, "content mode basic: quick replies are not sent, only text or a button template")
	case m.Attachment == nil:
		return nil
	case m.Attachment.Type != "template":
		return s.errParam(rule, false, "content mode basic: a %s attachment is not sent, only text or a button template", m.Attachment.Type)
	}
	switch pm.template {
	case "button", "one_time_notif_req", "notification_messages":
		return nil
	}
	return s.errParam(rule, false, "content mode basic: a %s template is not sent, only text or a button template", pm.template)
}
