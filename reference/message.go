package reference

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Campaign is a notification: a message, the opt-in it targets, a schedule
// and targeting filters. A campaign is immutable once created.
type Campaign struct {
	// Name identifies the campaign; creating a second one with the same
	// name is refused.
	Name string `yaml:"name" json:"name"`
	// OptIn names the opt-in definition whose subscribers it targets.
	OptIn string `yaml:"opt_in" json:"opt_in"`
	// Topic targets a topic directly, without a definition (otn.notify).
	Topic string `yaml:"topic" json:"topic"`
	// Message is what subscribers get.
	Message Message `yaml:"message" json:"message"`
	// Schedule is when it is sent; zero means at once.
	Schedule time.Time `yaml:"schedule" json:"schedule"`
	// Filters narrow who gets it.
	Filters Filters `yaml:"filters" json:"filters"`
}

// Filters narrow a campaign's audience. Empty lists match everyone.
type Filters struct {
	// Tags: the subscriber must carry every one of them.
	Tags []string `yaml:"tags" json:"tags"`
	// Segments: the subscriber must be in at least one of them.
	Segments []string `yaml:"segments" json:"segments"`
	// Locales: the subscriber's locale must be one of them.
	Locales []string `yaml:"locales" json:"locales"`
}

// Message is one message: text, text with up to three buttons, a media
// attachment, one card, or a carousel of cards.
type Message struct {
	Text    string   `yaml:"text" json:"text"`
	Buttons []Button `yaml:"buttons" json:"buttons"`
	Media   *Media   `yaml:"media" json:"media"`
	Cards   []Card   `yaml:"cards" json:"cards"`
}

// Button is a URL button (URL set) or a postback button (Payload set).
type Button struct {
	Title   string `yaml:"title" json:"title"`
	URL     string `yaml:"url" json:"url"`
	Payload string `yaml:"payload" json:"payload"`
}

// Media is an image, video, audio or file attachment by URL.
type Media struct {
	Type string `yaml:"type" json:"type"`
	URL  string `yaml:"url" json:"url"`
}

// Card is an element of a generic template.
type Card struct {
	Title    string   `yaml:"title" json:"title"`
	Subtitle string   `yaml:"subtitle" json:"subtitle"`
	ImageURL string   `yaml:"image_url" json:"image_url"`
	Buttons  []Button `yaml:"buttons" json:"buttons"`
}

// ErrInvalidMessage is wrapped by every message validation error.
var ErrInvalidMessage = errors.New("invalid message")

// Validate checks that m is one message of an allowed kind.
func (m Message) Validate() error {
	kinds := 0
	if m.Text != "" || len(m.Buttons) > 0 {
		kinds++
	}
	if m.Media != nil {
		kinds++
	}
	if len(m.Cards) > 0 {
		kinds++
	}
	switch {
	case kinds == 0:
		return fmt.Errorf("%w: no text, media or cards", ErrInvalidMessage)
	case kinds > 1:
		return fmt.Errorf("%w: give text (with buttons), media or cards, not several", ErrInvalidMessage)
	case len(m.Buttons) > 0 && m.Text == "":
		return fmt.Errorf("%w: buttons need text", ErrInvalidMessage)
	case utf8.RuneCountInString(m.Text) > 2000:
		return fmt.Errorf("%w: text over 2000 characters", ErrInvalidMessage)
	case len(m.Cards) > 10:
		return fmt.Errorf("%w: a carousel holds at most 10 cards", ErrInvalidMessage)
	}
	if err := validButtons(m.Buttons); err != nil {
		return err
	}
	if m.Media != nil {
		switch m.Media.Type {
		case "image", "video", "audio", "file":
		default:
			return fmt.Errorf("%w: media type %q (use image, video, audio or file)", ErrInvalidMessage, m.Media.Type)
		}
		if m.Media.URL == "" {
			return fmt.Errorf("%w: media needs a url", ErrInvalidMessage)
		}
	}
	for i, c := range m.Cards {
		if c.Title == "" {
			return fmt.Errorf("%w: card %d needs a title", ErrInvalidMessage, i+1)
		}
		if err := validButtons(c.Buttons); err != nil {
			return fmt.Errorf("card %d: %w", i+1, err)
		}
	}
	return nil
}

func validButtons(bs []Button) error {
	if len(bs) > 3 {
		return fmt.Errorf("%w: at most 3 buttons, got %d", ErrInvalidMessage, len(bs))
	}
	for i, b := range bs {
		if b.Title == "" || (b.URL == "") == (b.Payload == "") {
			return fmt.Errorf("%w: button %d needs a title and exactly one of url or payload", ErrInvalidMessage, i+1)
		}
	}
	return nil
}

// wire renders m as the Send API's message object.
func (m Message) wire() map[string]any {
	switch {
	case m.Media != nil:
		return map[string]any{"attachment": map[string]any{"type": m.Media.Type, "payload": map[string]any{"url": m.Media.URL}}}
	case len(m.Cards) > 0:
		els := make([]map[string]any, len(m.Cards))
		for i, c := range m.Cards {
			el := map[string]any{"title": c.Title}
			if c.Subtitle != "" {
				el["subtitle"] = c.Subtitle
			}
			if c.ImageURL != "" {
				el["image_url"] = c.ImageURL
			}
			if len(c.Buttons) > 0 {
				el["buttons"] = wireButtons(c.Buttons)
			}
			els[i] = el
		}
		return template(map[string]any{"template_type": "generic", "elements": els})
	case len(m.Buttons) > 0:
		return template(map[string]any{"template_type": "button", "text": m.Text, "buttons": wireButtons(m.Buttons)})
	}
	return map[string]any{"text": m.Text}
}

func template(payload map[string]any) map[string]any {
	return map[string]any{"attachment": map[string]any{"type": "template", "payload": payload}}
}

func wireButtons(bs []Button) []map[string]any {
	out := make([]map[string]any, len(bs))
	for i, b := range bs {
		if b.URL != "" {
			out[i] = map[string]any{"type": "web_url", "title": b.Title, "url": b.URL}
		} else {
			out[i] = map[string]any{"type": "postback", "title": b.Title, "payload": b.Payload}
		}
	}
	return out
}

// MaxTitleRunes is the longest OTN request title Meta accepts.
const MaxTitleRunes = 65

// Validate checks a definition: name, topic, and a title of 1 to 65 characters.
func (o OptIn) Validate() error {
	if o.Name == "" || o.Topic == "" {
		return fmt.Errorf("opt-in %q: needs a name and a topic", o.Name)
	}
	if n := utf8.RuneCountInString(o.Title); n == 0 || n > MaxTitleRunes {
		return fmt.Errorf("opt-in %q: title must be 1 to %d characters, got %d", o.Name, MaxTitleRunes, n)
	}
	return nil
}

// Validate checks every definition in s: opt-ins, flows and campaigns.
func (s Setup) Validate() error {
	var errs []error
	names := map[string]bool{}
	for _, o := range s.OptIns {
		if err := o.Validate(); err != nil {
			errs = append(errs, err)
		}
		if names[o.Name] {
			errs = append(errs, fmt.Errorf("opt-in %q defined twice", o.Name))
		}
		names[o.Name] = true
	}
	for _, f := range s.Flows {
		if f.Ask != "" && !names[f.Ask] {
			errs = append(errs, fmt.Errorf("flow %q asks for unknown opt-in %q", f.Name, f.Ask))
		}
	}
	for _, c := range s.Campaigns {
		if c.OptIn != "" && !names[c.OptIn] {
			errs = append(errs, fmt.Errorf("campaign %q targets unknown opt-in %q", c.Name, c.OptIn))
		}
		if err := c.Message.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("campaign %q: %w", c.Name, err))
		}
	}
	return errors.Join(errs...)
}
