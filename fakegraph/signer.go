package fakegraph

import "github.com/otnsim/otnsim/platform"

// webhookSigner returns the signer for the page's current app secret.
func (s *Server) webhookSigner() *platform.Signer {
	secret := s.cfg.Page.AppSecret
	if sg := s.signer.Load(); sg != nil && sg.Secret() == secret {
		return sg
	}
	sg := platform.NewSigner(secret)
	s.signer.Store(sg)
	return sg
}
