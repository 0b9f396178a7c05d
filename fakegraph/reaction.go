package fakegraph

// fieldReactions is the webhook field of message reactions.
const fieldReactions = "message_reactions"

type reactionEvent struct {
	MID      string `json:"mid"`
	Action   string `json:"action"`
	Emoji    string `json:"emoji"`
	Reaction string `json:"reaction"`
}

// reactionNames maps the emoji Messenger offers to the reaction names its
// webhook carries; any other emoji is "other".
var reactionNames = map[string]string{
	"❤️": "love", "❤": "love", "👍": "like", "😆": "smile", "😮": "wow", "😢": "sad", "😠": "angry",
}

// React plays psid reacting with emoji to the page's latest message in their
// thread: like any user action it opens the 24-hour window, and it delivers
// a message_reactions webhook. An empty emoji means ❤️.
func (s *Server) React(psid, emoji string) (Delivery, error) {
	if emoji == "" {
		emoji = "❤️"
	}
	now, mid, err := s.userAction(psid, "reaction", emoji)
	if err != nil {
		return Delivery{}, err
	}
	name, ok := reactionNames[emoji]
	if !ok {
		name = "other"
	}
	ev := s.event(psid, now)
	ev.Reaction = &reactionEvent{MID: mid, Action: "react", Emoji: emoji, Reaction: name}
	return s.deliver(psid, fieldReactions, ev), nil
}
