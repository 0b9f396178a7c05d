// Command faulty is a test bot for otnsim's compliance checks: the minibot
// with the one fault its first argument names, as in `faulty in-window-spend`.
// An unknown or missing name exits with status 2 and the list of names.
package main

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/otnsim/otnsim/compliance/testdata/bots/minibot"
)

// faults maps each name to its fault, and names the rule it breaks.
var faults = map[string]minibot.Faults{
	// The faults that also have a command of their own.
	"reuse-tokens":         {ReuseTokens: true},          // OTN-TOKEN-ONCE
	"promo-outside-window": {PromoteOutsideWindow: true}, // WIN-24H
	"skip-signature":       {SkipSignature: true},        // HOOK-SIGNATURE
	"ask-outside-window":   {AskOutsideWindow: true},     // OTN-REQ-WINDOW
	"ignore-idle":          {IgnoreIdle: true},           // OTN-IDLE

	"in-window-spend":    {InWindowSpend: true},    // OTN-IN-WINDOW-KEEP
	"window-at-24h":      {WindowAt24h: true},      // WIN-24H
	"expiry-off-by-one":  {ExpiryOffByOne: true},   // OTN-TOKEN-EXPIRY
	"idle-4m59":          {Idle4m59: true},         // OTN-IDLE
	"title-66":           {Title66: true},          // OTN-REQ-FORMAT
	"send-after-551":     {SendAfter551: true},     // USER-AVAILABLE
	"text-plus-image":    {TextPlusImage: true},    // OTN-CONTENT
	"topic-fallback":     {TopicFallback: true},    // OTN-TOPIC-MATCH
	"no-dedupe":          {NoDedupe: true},         // HOOK-REPLAY
	"sha1-only":          {SHA1Only: true},         // HOOK-SIGNATURE
	"reserialised-hmac":  {ReserialisedHMAC: true}, // HOOK-SIGNATURE
	"prefix-signature":   {PrefixSignature: true},  // HOOK-SIGNATURE
	"any-verify-token":   {AnyVerifyToken: true},   // HOOK-VERIFY
	"no-daily-cap":       {NoDailyCap: true},       // OTN-REQ-THROTTLE
	"reask-same-topic":   {ReaskSameTopic: true},   // OTN-REQ-SPAM
	"forget-region":      {ForgetRegion: true},     // OTN-REGION
	"retry-permission":   {RetryPermission: true},  // OTN-FEATURE
	"latest-token-only":  {LatestTokenOnly: true},  // OTN-MULTI
	"no-reopen":          {NoReopen: true},         // WIN-REOPEN
	"no-messaging-type":  {NoMessagingType: true},  // SEND-FORMAT
	"stale-access-token": {StaleAccessToken: true}, // SEND-AUTH
	"burst-broadcast":    {BurstBroadcast: true},   // SEND-RATE
	"bad-tag":            {BadTag: true},           // WIN-TAG
	"wrong-token":        {WrongToken: true},       // OTN-TOKEN-SCOPE
}

func main() {
	if len(os.Args) == 2 {
		if f, ok := faults[os.Args[1]]; ok {
			minibot.Main(f)
			return
		}
	}
	names := make([]string, 0, len(faults))
	for name := range faults {
		names = append(names, name)
	}
	sort.Strings(names)
	if len(os.Args) >= 2 {
		fmt.Fprintf(os.Stderr, "faulty: unknown fault %q\n", strings.Join(os.Args[1:], " "))
	}
	fmt.Fprintf(os.Stderr, "usage: faulty FAULT\nfaults: %s\n", strings.Join(names, ", "))
	os.Exit(2)
}
