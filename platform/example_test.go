package platform_test

import (
	"fmt"

	"github.com/otnsim/otnsim/platform"
)

// Sign a hand-made webhook body as Meta does, and check it as a bot must.
func ExampleSign() {
	body := []byte(`{"object":"page","entry":[]}`)
	sig256, _ := platform.Sign("app-secret", body)
	fmt.Println(platform.Verify("app-secret", body, sig256))
	fmt.Println(platform.Verify("app-secret", []byte(`{"object":"page"}`), sig256))
	fmt.Println(platform.Verify("app-secret", body, "sha256="))
	// Output:
	// true
	// false
	// false
}

// The facts every part of otnsim shares.
func ExampleIsEurope() {
	fmt.Println(platform.Window, platform.TokenLifetime)
	fmt.Println(platform.IsEurope("IS"), platform.IsEurope("US"), platform.IsJapan("JP"))
	// Output:
	// 24h0m0s 8760h0m0s
	// true false true
}
