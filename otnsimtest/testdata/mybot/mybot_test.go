// Package mybot is the README's go test sample: a Go bot that notifies
// without waiting for the subscriber to go idle, checked by
// otnsimtest.TestBot (go test ./otnsimtest/testdata/mybot fails by design).
package mybot

import (
	"testing"

	"github.com/otnsim/otnsim/compliance/testdata/bots/minibot"
	"github.com/otnsim/otnsim/otnsimtest"
)

func TestMyBot(t *testing.T) {
	page := otnsimtest.DefaultPage()
	bot := minibot.New(minibot.Faults{IgnoreIdle: true}, minibot.Config{GraphURL: otnsimtest.GraphURL,
		AccessToken: page.AccessToken, AppSecret: page.AppSecret, VerifyToken: page.VerifyToken, Logf: func(string, ...any) {}})
	otnsimtest.TestBot(t, bot)
}
