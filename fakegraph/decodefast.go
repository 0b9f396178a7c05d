package fakegraph

// The Send API's hot path is a small JSON body: a recipient, perhaps a
// messaging_type or tag, and a text message. encoding/json spends more on
// such a body (validating it, then decoding it by reflection) than the rest
// of the call, so decodeJSONFast reads the common subset by hand and
// declines anything else, which encoding/json then decodes as before. The
// subset is chosen so that its result is exactly encoding/json's:
//
//   - an object whose keys are the exact names of SendRequest, Recipient and
//     Message fields that hold strings (message.attachment, quick_replies
//     and any other key, known or not, decline);
//   - string values of printable ASCII without escapes, so the decoded
//     string is the bytes between the quotes;
//   - JSON whitespace between tokens and nothing after the object.
//
// A key that comes twice is decoded as encoding/json does: the last value
// wins, and a second "recipient" or "message" object merges into the first.

// fastDecoder reads a body in decodeJSONFast's subset.
type fastDecoder struct {
	b []byte
	i int
}

// decodeJSONFast decodes body when it lies in the subset above; ok is false
// when it does not (it may still be valid JSON).
func decodeJSONFast(body []byte) (req *SendRequest, ok bool) {
	d := fastDecoder{b: body}
	req = &SendRequest{}
	if !d.open() {
		return nil, false
	}
	for first := true; ; first = false {
		key, done, ok := d.next(first)
		if !ok {
			return nil, false
		}
		if done {
			break
		}
		switch string(key) {
		case "recipient":
			ok = d.recipient(&req.Recipient)
		case "message":
			if req.Message == nil {
				req.Message = &Message{}
			}
			ok = d.message(req.Message)
		case "messaging_type":
			ok = d.str(&req.MessagingType)
		case "tag":
			ok = d.str(&req.Tag)
		case "sender_action":
			ok = d.str(&req.SenderAction)
		case "notification_type":
			ok = d.str(&req.NotificationType)
		case "access_token":
			ok = d.str(&req.AccessToken)
		case "appsecret_proof":
			ok = d.str(&req.AppSecretProof)
		default:
			ok = false
		}
		if !ok {
			return nil, false
		}
	}
	d.space()
	if d.i != len(d.b) {
		return nil, false
	}
	return req, true
}

// recipient reads a recipient object into r.
func (d *fastDecoder) recipient(r *Recipient) bool {
	if !d.open() {
		return false
	}
	for first := true; ; first = false {
		key, done, ok := d.next(first)
		if !ok || done {
			return ok
		}
		switch string(key) {
		case "id":
			ok = d.str(&r.ID)
		case "one_time_notif_token":
			ok = d.str(&r.OneTimeNotifToken)
		case "user_ref":
			ok = d.str(&r.UserRef)
		case "notification_messages_token":
			ok = d.str(&r.NotificationMessagesToken)
		default:
			ok = false
		}
		if !ok {
			return false
		}
	}
}

// message reads a message object into m.
func (d *fastDecoder) message(m *Message) bool {
	if !d.open() {
		return false
	}
	for first := true; ; first = false {
		key, done, ok := d.next(first)
		if !ok || done {
			return ok
		}
		switch string(key) {
		case "text":
			ok = d.str(&m.Text)
		case "metadata":
			ok = d.str(&m.Metadata)
		default:
			ok = false
		}
		if !ok {
			return false
		}
	}
}

func (d *fastDecoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// open reads the '{' that opens an object.
func (d *fastDecoder) open() bool {
	d.space()
	if d.i >= len(d.b) || d.b[d.i] != '{' {
		return false
	}
	d.i++
	return true
}

// next reads up to the next member's value: the comma after the previous
// member (unless first), the key and its colon. done reports the object's
// closing brace instead.
func (d *fastDecoder) next(first bool) (key []byte, done, ok bool) {
	d.space()
	if d.i >= len(d.b) {
		return nil, false, false
	}
	switch c := d.b[d.i]; {
	case c == '}':
		d.i++
		return nil, true, true
	case !first && c != ',':
		return nil, false, false
	case !first:
		d.i++
		d.space()
	}
	start, end, ok := d.raw()
	if !ok {
		return nil, false, false
	}
	d.space()
	if d.i >= len(d.b) || d.b[d.i] != ':' {
		return nil, false, false
	}
	d.i++
	return d.b[start:end], false, true
}

// str reads a string value into *dst.
func (d *fastDecoder) str(dst *string) bool {
	d.space()
	start, end, ok := d.raw()
	if ok {
		*dst = string(d.b[start:end])
	}
	return ok
}

// raw reads a string of printable ASCII without escapes and returns where
// its contents lie.
func (d *fastDecoder) raw() (start, end int, ok bool) {
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return 0, 0, false
	}
	start = d.i + 1
	for j := start; j < len(d.b); j++ {
		c := d.b[j]
		if c == '"' {
			d.i = j + 1
			return start, j, true
		}
		if c < 0x20 || c >= 0x7f || c == '\\' {
			return 0, 0, false
		}
	}
	return 0, 0, false
}
