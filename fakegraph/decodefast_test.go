package fakegraph_test

import (
	"encoding/json"
	"reflect"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/fakegraph"
)

// jsonEquivalenceSeeds are JSON bodies on both sides of the decoder's fast
// path: the common text sends it reads itself, and near misses it must leave
// to encoding/json (escapes, non-ASCII, case-folded and unknown keys, nulls,
// wrong types, duplicates, trailing data, truncation).
var jsonEquivalenceSeeds = []string{
	`{"recipient":{"id":"111"},"messaging_type":"RESPONSE","message":{"text":"Back in stock!"}}`,
	`{"recipient":{"one_time_notif_token":"abc_-DEF"},"message":{"text":"hi","metadata":"m"}}`,
	" \t\r\n{ \"recipient\" : { \"user_ref\" : \"x\" } , \"sender_action\" : \"typing_on\" } \n",
	`{"recipient":{"notification_messages_token":"x"},"tag":"HUMAN_AGENT","notification_type":"SILENT_PUSH","message":{}}`,
	`{"access_token":"EAAotnsimPAGEtoken","appsecret_proof":"00ff","recipient":{"id":"1"},"message":{"text":""}}`,
	`{}`, `{"recipient":{}}`, `{"recipient":{"id":"1"},"recipient":{"user_ref":"u"}}`,
	`{"message":{"text":"a"},"message":{"metadata":"b"}}`, `{"tag":"A","tag":"B"}`,
	`{"recipient":{"id":"1\u0031"}}`, `{"recipient":{"id":"\"1"}}`, `{"message":{"text":"Grüß dich"}}`,
	"{\"message\":{\"text\":\"tab\there\"}}", "{\"message\":{\"text\":\"del\x7f\"}}", "{\"message\":{\"text\":\"\xff\"}}",
	`{"Recipient":{"ID":"111"}}`, `{"recipient":{"Id":"111"}}`, `{"MESSAGING_TYPE":"RESPONSE"}`,
	`{"recipient":{"id":"1"},"unknown":1}`, `{"recipient":{"id":"1","extra":"x"}}`,
	`{"recipient":null}`, `{"message":null}`, `{"recipient":{"id":null}}`, `{"message":{"text":null}}`,
	`{"recipient":{"id":111}}`, `{"message":{"text":true}}`, `{"message":"hi"}`, `{"recipient":[]}`,
	`{"message":{"text":"q","quick_replies":[{"content_type":"text","title":"a","payload":"b"}]}}`,
	`{"message":{"attachment":{"type":"template","payload":{"template_type":"one_time_notif_req","title":"t","payload":"p"}}}}`,
	`{"recipient":{"id":"1"}} x`, `{"recipient":{"id":"1"}}{}`, `{"recipient":{"id":"1"},}`, `{,}`, `{"a"}`,
	`{"recipient":{"id":"1"}`, `{"recipient":{"id":"1`, `{"recipient"`, `{`, ``, ` `, `null`, `[]`, `"x"`, `1`,
	"\xef\xbb\xbf{}", `{"recipient" {"id":"1"}}`, `{"recipient":{"id":"1"} "tag":"x"}`,
}

// expectSameAsEncodingJSON checks that DecodeSendRequest reads a JSON body
// exactly as encoding/json does: the same request, or an error for both.
func expectSameAsEncodingJSON(body []byte) error {
	got, gotErr := fakegraph.DecodeSendRequest("application/json", body)
	var want fakegraph.SendRequest
	wantErr := json.Unmarshal(body, &want)
	switch {
	case (gotErr != nil) != (wantErr != nil):
		return &decodeMismatch{body: body, detail: "errors differ", got: gotErr, want: wantErr}
	case gotErr == nil && !reflect.DeepEqual(fakegraph.WithoutDecodeMarks(*got), want):
		return &decodeMismatch{body: body, detail: "requests differ", got: *got, want: want}
	}
	return nil
}

type decodeMismatch struct {
	body      []byte
	detail    string
	got, want any
}

func (m *decodeMismatch) Error() string {
	g, _ := json.Marshal(m.got)
	w, _ := json.Marshal(m.want)
	return "body " + string(m.body) + ": " + m.detail + ": got " + string(g) + ", encoding/json gives " + string(w)
}

var _ = Describe("decoding a JSON Send API body", func() {
	It("reads every body exactly as encoding/json does, on and off the fast path", func() {
		for _, s := range append(jsonEquivalenceSeeds, fuzzSeeds...) {
			Expect(expectSameAsEncodingJSON([]byte(s))).To(Succeed())
		}
	})

	It("keeps a string's bytes apart from the body it was read from", func() {
		body := []byte(`{"recipient":{"id":"111"},"message":{"text":"hello"}}`)
		req, err := fakegraph.DecodeSendRequest("application/json", body)
		Expect(err).NotTo(HaveOccurred())
		for i := range body {
			body[i] = 'x'
		}
		Expect(req.Recipient.ID).To(Equal("111"))
		Expect(req.Message.Text).To(Equal("hello"))
	})
})

// FuzzDecodeSendRequestJSON checks that DecodeSendRequest reads any JSON
// body exactly as encoding/json does.
func FuzzDecodeSendRequestJSON(f *testing.F) {
	for _, s := range jsonEquivalenceSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if err := expectSameAsEncodingJSON(body); err != nil {
			t.Fatal(err)
		}
	})
}
