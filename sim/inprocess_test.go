package sim_test

import (
	"io"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/sim"
)

var _ = Describe("HandlerTransport", func() {
	It("answers with the handler's status, headers and body", func() {
		c := &http.Client{Transport: sim.HandlerTransport(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			w.Header().Set("X-Seen", r.Method)
			w.WriteHeader(http.StatusTeapot)
			_, _ = w.Write(append([]byte("got "), b...))
		}))}
		resp, err := c.Post("http://bot.invalid/x", "text/plain", strings.NewReader("hi"))
		Expect(err).NotTo(HaveOccurred())
		b, _ := io.ReadAll(resp.Body)
		Expect(resp.StatusCode).To(Equal(http.StatusTeapot))
		Expect(resp.Header.Get("X-Seen")).To(Equal("POST"))
		Expect(string(b)).To(Equal("got hi"))
	})

	It("turns a dropped connection into the client's error, and lets other panics through", func() {
		c := &http.Client{Transport: sim.HandlerTransport(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			panic(http.ErrAbortHandler)
		}))}
		_, err := c.Get("http://graph.invalid/v19.0/me/messages")
		Expect(err).To(MatchError(sim.ErrDropped))
		boom := &http.Client{Transport: sim.HandlerTransport(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			panic("a bug")
		}))}
		Expect(func() { _, _ = boom.Get("http://x.invalid/") }).To(PanicWith("a bug"))
	})
})
