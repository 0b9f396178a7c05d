package load

import (
	"github.com/otnsim/otnsim/load/profile"
	"github.com/otnsim/otnsim/reference"
)

// asker composes what subscribers write, following the profile's mix.
type asker struct {
	outOfStock []string // questions about products out of stock at the start
	outProduct []reference.Product
	inStock    []string
	smallTalk  []string
	pOut, pIn  float64 // cumulative probabilities
}

var smallTalk = []string{"hi!", "thanks :)", "what are your opening hours?", "do you ship abroad?", "ok", "👍 great"}

func newAsker(p *profile.Profile, topic func(string) int32) asker {
	products := p.Bot.Products
	if products == nil {
		products = reference.DefaultCatalogue()
	}
	var a asker
	for _, pr := range products {
		topic("restock:" + pr.Slug)
		if pr.InStock {
			a.inStock = append(a.inStock, "Do you have the "+pr.Name+"?", "how much is the "+pr.Name+"?")
		} else {
			a.outOfStock = append(a.outOfStock, "Is the "+pr.Name+" back in stock?", "any news on the "+pr.Name+"?")
			a.outProduct = append(a.outProduct, pr, pr)
		}
	}
	a.smallTalk = smallTalk
	w := p.Asks
	total := w.OutOfStock + w.InStock + w.SmallTalk
	if len(a.outOfStock) == 0 {
		total -= w.OutOfStock
		w.OutOfStock = 0
	}
	if len(a.inStock) == 0 {
		total -= w.InStock
		w.InStock = 0
	}
	if total > 0 {
		a.pOut = w.OutOfStock / total
		a.pIn = a.pOut + w.InStock/total
	}
	return a
}

// text draws one message, and the out-of-stock product it asks about, if
// it asks about one (nil otherwise).
func (a *asker) text(r *splitmix64) (string, *reference.Product) {
	x := r.float()
	var from []string
	switch {
	case x < a.pOut:
		from = a.outOfStock
	case x < a.pIn:
		from = a.inStock
	default:
		from = a.smallTalk
	}
	k := r.Uint64() % uint64(len(from))
	if x < a.pOut {
		return from[k], &a.outProduct[k]
	}
	return from[k], nil
}
