package sim

import (
	"net/http"

	"github.com/otnsim/otnsim/reference"
)

// ReferenceBot returns a factory for otnsim's reference bot configured by
// setup, connected to the world it is built for: the one place where a
// world's connection becomes a reference.Config.
func ReferenceBot(setup reference.Setup) BotFactory {
	return func(env BotEnv) (http.Handler, error) {
		setup := setup
		setup.Products = append([]reference.Product(nil), setup.Products...)
		bot, err := reference.New(reference.Config{
			GraphURL:        env.GraphURL,
			PageID:          env.PageID,
			PageAccessToken: env.PageAccessToken,
			AppSecret:       env.AppSecret,
			VerifyToken:     env.VerifyToken,
			Client:          env.Client,
			Clock:           env.Clock,
			Setup:           setup,
		})
		if err != nil {
			return nil, err
		}
		return bot, nil
	}
}
