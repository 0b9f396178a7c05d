package fakegraph

// WithoutDecodeMarks returns a copy of r without what the decoder notes
// for validation only (such as text that was not valid UTF-8), so that
// tests can compare it with what encoding/json decodes.
func WithoutDecodeMarks(r SendRequest) SendRequest {
	if r.Message != nil {
		m := *r.Message
		m.textNotUTF8 = false
		r.Message = &m
	}
	return r
}

// WriteJSON is writeJSON, for the specs of a value that cannot be encoded.
var WriteJSON = writeJSON
