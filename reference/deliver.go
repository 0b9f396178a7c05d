package reference

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/otnsim/otnsim/platform"
)

// result is how a delivery ended.
type result int

const (
	resViaToken  result = iota // sent with a token
	resInWindow                // sent as a normal message, token kept
	resUncertain               // response lost: counted as sent, token treated as spent
	resSkipped                 // not sent: no usable token, window closed, blocked, region
	resFailed                  // refused permanently or out of retries
)

func (r result) delivered() bool { return r <= resUncertain }

// RunDue does the scheduled work due now: starts due campaigns, delivers
// notifications whose subscribers have gone idle, retries, delayed asks.
// In process the bot's clock timers call it; standalone, `tick` does.
func (b *Bot) RunDue() error { return b.runDue(b.now()) }

func (b *Bot) runDue(now time.Time) error {
	b.runMu.Lock()
	defer b.runMu.Unlock()
	defer b.wake(now)
	for pass := 0; pass < 100; pass++ {
		if err := b.startDueCampaigns(now); err != nil {
			return err
		}
		var due []*jobRec
		err := b.store.View(func(tx Tx) error {
			all, err := allJobs(tx)
			for _, j := range all {
				if !j.Due.After(now) {
					due = append(due, j)
				}
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("run due work: %w", err)
		}
		if len(due) == 0 {
			return nil
		}
		sort.SliceStable(due, func(i, k int) bool {
			if !due[i].Due.Equal(due[k].Due) {
				return due[i].Due.Before(due[k].Due)
			}
			return due[i].ID < due[k].ID
		})
		for i, j := range due {
			if b.pace.next(now, j.Message.audioVideo()).After(now) {
				// The send rate is used up: the rest waits its turn.
				if err := b.deferJobs(due[i:], now); err != nil {
					return fmt.Errorf("run due work: %w", err)
				}
				break
			}
			if err := b.execute(j, now); err != nil {
				return fmt.Errorf("run due work: job %d: %w", j.ID, err)
			}
		}
	}
	return nil
}

// wake arms the clock for the earliest pending work. A harness clock's
// timers never fire; there ticks run the work.
func (b *Bot) wake(now time.Time) {
	if _, harness := b.clock.(observer); harness {
		return
	}
	next, ok := b.nextDue()
	if !ok {
		return
	}
	b.timerMu.Lock()
	defer b.timerMu.Unlock()
	if b.timer != nil && !b.timerAt.After(next) {
		return
	}
	if b.timer != nil {
		b.timer.Stop()
	}
	b.timerAt = next
	b.timer = b.clock.AfterFunc(next.Sub(now), func() {
		b.timerMu.Lock()
		b.timer = nil
		b.timerMu.Unlock()
		if err := b.RunDue(); err != nil {
			b.logf("%v", err)
		}
	})
}

// nextDue is the time of the earliest pending job or scheduled campaign.
func (b *Bot) nextDue() (time.Time, bool) {
	var next time.Time
	found := false
	consider := func(t time.Time) {
		if !found || t.Before(next) {
			next, found = t, true
		}
	}
	err := b.store.View(func(tx Tx) error {
		jobs, err := allJobs(tx)
		for _, j := range jobs {
			consider(j.Due)
		}
		if err != nil {
			return err
		}
		return tx.Scan(bucketCampaigns, "", func(_ string, raw []byte) error {
			var c CampaignStatus
			if err := json.Unmarshal(raw, &c); err != nil {
				return fmt.Errorf("store: decode campaign: %w", err)
			}
			if c.State == CampaignScheduled {
				consider(c.Schedule)
			}
			return nil
		})
	})
	if err != nil {
		b.logf("next due work: %v", err)
	}
	return next, found
}

// execute runs one due job.
func (b *Bot) execute(j *jobRec, now time.Time) error {
	sub, err := b.subscriber(j.PSID)
	if err != nil {
		return err
	}
	if j.Kind == jobNotify && b.resumable {
		tok, err := b.pendingToken(j)
		if err != nil {
			return err
		}
		if tok != nil {
			return b.resume(j, tok, now)
		}
	}
	if sub.Blocked {
		return b.finish(j, resSkipped, nil, nil, now)
	}
	switch j.Kind {
	case jobAsk:
		if _, err := b.ask(j.PSID, j.Topic, j.Title); err != nil {
			b.logf("delayed ask to %s: %v", j.PSID, err)
		}
		return b.finish(j, resSkipped, nil, nil, now)
	case jobMessage:
		if !sub.windowOpen(now) {
			return b.finish(j, resSkipped, nil, nil, now)
		}
		return b.afterStandard(j, b.sendMessage(j.PSID, "UPDATE", j.Message), now)
	case jobNotify:
		return b.notify(j, sub, now)
	}
	return b.finish(j, resFailed, nil, nil, now)
}

// subscriber reads psid's record.
func (b *Bot) subscriber(psid string) (*subscriberRec, error) {
	var sub *subscriberRec
	err := b.store.View(func(tx Tx) error {
		var err error
		sub, err = getSubscriber(tx, psid)
		return err
	})
	return sub, err
}

// notify delivers one notification: after the idle guard, as a normal
// message while the window is open (keeping the token), else with the
// subscriber's oldest usable token for the topic.
func (b *Bot) notify(j *jobRec, sub *subscriberRec, now time.Time) error {
	p := b.cfg.Policy
	if p.IdleAfter > 0 && !sub.LastActive.IsZero() && now.Before(sub.LastActive.Add(p.IdleAfter)) {
		j.Due = sub.LastActive.Add(p.IdleAfter) // still sending
		return b.store.Update(func(tx Tx) error { return putJob(tx, j) })
	}
	if sub.windowOpen(now) && !p.SpendTokenInWindow {
		err := b.sendMessage(j.PSID, "UPDATE", j.Message)
		if classify(err) != outWindow {
			return b.afterStandard(j, err, now)
		}
		// Meta says the window is closed after all: fall back to a token.
	}
	if b.pageOTNOff() || b.subscriberOTNOff(sub) {
		return b.finish(j, resSkipped, nil, nil, now)
	}
	for {
		tok, err := b.claimToken(j, now)
		if err != nil {
			return err
		}
		if tok == nil {
			return b.finish(j, resSkipped, nil, nil, now)
		}
		sendErr := b.send(sendAny{Recipient: recipient{Token: tok.Value}, Message: j.Message.wire()})
		out := classify(sendErr)
		if out != outOK {
			b.logf("notification to %s with token %d: %v", j.PSID, tok.Seq, sendErr)
		}
		tok.UsedAt = now
		switch out {
		case outOK:
			tok.State = tokSpent
			if p.ReuseSpentTokens {
				tok.State = tokHeld
			}
			return b.finish(j, resViaToken, tok, nil, now)
		case outUnknown:
			tok.State = tokSpent
			return b.finish(j, resUncertain, tok, nil, now)
		case outTransient, outLimited:
			tok.State = tokHeld
			return b.retry(j, tok, out == outLimited, now)
		case outBlocked:
			tok.State = tokHeld
			return b.finish(j, resSkipped, tok, func(s *subscriberRec) { s.Blocked = true }, now)
		case outRegion:
			tok.State = tokHeld
			return b.finish(j, resSkipped, tok, func(s *subscriberRec) { s.RegionAffected = true }, now)
		}
		if ge, ok := asGraphError(sendErr); ok && ge.Code == 100 {
			// Meta refused this token (used, expired or invalid): nothing
			// was delivered, so the next token may be tried.
			tok.State = tokRefused
			if err := b.store.Update(func(tx Tx) error { return tx.Put(bucketTokens, tok.key(), tok) }); err != nil {
				return err
			}
			continue
		}
		tok.State = tokHeld
		return b.finish(j, resFailed, tok, nil, now)
	}
}

// claimToken marks psid's oldest usable token for the job's topic as being
// spent (durably, before the call), dropping expired ones on the way.
func (b *Bot) claimToken(j *jobRec, now time.Time) (*tokenRec, error) {
	var claimed *tokenRec
	err := b.store.Update(func(tx Tx) error {
		toks, err := tokensOf(tx, j.PSID, j.Topic)
		if err != nil {
			return err
		}
		if b.cfg.Policy.UseAnyTopicToken {
			own := slices.ContainsFunc(toks, func(t *tokenRec) bool { return t.State == tokHeld })
			if !own {
				if toks, err = tokensOf(tx, j.PSID, ""); err != nil {
					return err
				}
			}
		}
		for _, t := range toks {
			if t.State != tokHeld || (t.Topic != j.Topic && !b.cfg.Policy.UseAnyTopicToken) {
				continue
			}
			if !b.cfg.Policy.UseExpiredTokens && !now.Before(t.IssuedAt.Add(platform.TokenLifetime)) {
				t.State = tokExpired
				if err := tx.Put(bucketTokens, t.key(), t); err != nil {
					return err
				}
				continue
			}
			t.State, t.Job = tokSpending, j.ID
			claimed = t
			return tx.Put(bucketTokens, t.key(), t)
		}
		return nil
	})
	return claimed, err
}

// afterStandard settles a job whose standard (PSID) send returned err.
func (b *Bot) afterStandard(j *jobRec, err error, now time.Time) error {
	switch out := classify(err); out {
	case outOK:
		return b.finish(j, resInWindow, nil, nil, now)
	case outTransient, outLimited:
		return b.retry(j, nil, out == outLimited, now)
	case outUnknown:
		return b.finish(j, resUncertain, nil, nil, now)
	case outBlocked:
		return b.finish(j, resSkipped, nil, func(s *subscriberRec) { s.Blocked = true }, now)
	case outWindow:
		return b.finish(j, resSkipped, nil, nil, now)
	}
	b.logf("message to %s: %v", j.PSID, err)
	return b.finish(j, resFailed, nil, nil, now)
}

// retry schedules the job again with back-off, or gives up. A rate-limit
// refusal (limited) never gives up and does not count as an attempt; it
// holds every paced send back for a second, and waits at least that long.
func (b *Bot) retry(j *jobRec, tok *tokenRec, limited bool, now time.Time) error {
	r := b.cfg.Policy.Retry
	j.Attempts++
	if limited {
		j.Limited++
		b.pace.limited(now)
	} else if j.Attempts-j.Limited >= r.MaxAttempts {
		return b.finish(j, resFailed, tok, nil, now)
	}
	maxWait := r.MaxBackoff
	if limited && maxWait <= 0 {
		maxWait = time.Hour
	}
	wait := r.Backoff
	for i := 1; i < j.Attempts && (maxWait <= 0 || wait < maxWait); i++ {
		wait *= 2
	}
	if maxWait > 0 && wait > maxWait {
		wait = maxWait
	}
	if limited && wait < paceSpan {
		wait = paceSpan
	}
	j.Due = now.Add(wait)
	return b.store.Update(func(tx Tx) error {
		if tok != nil {
			tok.Job = 0
			if err := tx.Put(bucketTokens, tok.key(), tok); err != nil {
				return err
			}
		}
		return putJob(tx, j)
	})
}

// deferJobs gives each of the due jobs, in order, the time the send rate
// lets it out, in one transaction. Each job decides again when it runs
// (window, token, idle guard), so nobody is messaged on a stale verdict.
func (b *Bot) deferJobs(jobs []*jobRec, now time.Time) error {
	media := make([]bool, len(jobs))
	for i, j := range jobs {
		media[i] = j.Message.audioVideo()
	}
	at := b.pace.plan(now, media)
	err := b.store.Update(func(tx Tx) error {
		for i, j := range jobs {
			j.Due = at[i]
			if err := putJob(tx, j); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("pace %d sends: %w", len(jobs), err)
	}
	return nil
}

// finish ends a job in one transaction: the token's new state, the
// subscriber change, the campaign's counters and the daily statistics.
func (b *Bot) finish(j *jobRec, res result, tok *tokenRec, change func(*subscriberRec), now time.Time) error {
	return b.store.Update(func(tx Tx) error {
		if err := tx.Delete(bucketJobs, seqKey(j.ID)); err != nil {
			return err
		}
		if tok != nil {
			if tok.State != tokSpending {
				tok.Job = 0
			}
			if err := tx.Put(bucketTokens, tok.key(), tok); err != nil {
				return err
			}
		}
		if change != nil || (res.delivered() && j.Kind == jobNotify) {
			s, err := getSubscriber(tx, j.PSID)
			if err != nil {
				return err
			}
			if change != nil {
				change(s)
			}
			if res.delivered() && j.Kind == jobNotify {
				s.LastNotified = &notified{At: now, Campaign: j.Campaign, Topic: j.Topic}
			}
			if err := putSubscriber(tx, s); err != nil {
				return err
			}
		}
		if j.Kind == jobNotify && res.delivered() {
			day := b.day(now)
			metric := map[result]string{resViaToken: statViaToken, resInWindow: statInWindow, resUncertain: statUncertain}[res]
			if err := addStat(tx, day, j.Topic, statNotified, 1); err != nil {
				return err
			}
			if err := addStat(tx, day, j.Topic, metric, 1); err != nil {
				return err
			}
		}
		if j.Campaign == "" {
			return nil
		}
		c, ok, err := getCampaign(tx, j.Campaign)
		if err != nil || !ok {
			return err
		}
		c.Pending--
		switch res {
		case resViaToken:
			c.Delivered++
			c.ViaToken++
		case resInWindow:
			c.Delivered++
			c.InWindow++
		case resUncertain:
			c.Delivered++
			c.Uncertain++
		case resSkipped:
			c.Skipped++
		case resFailed:
			c.Failed++
		}
		if c.Pending <= 0 {
			c.Pending, c.State = 0, CampaignDone
		}
		return tx.Put(bucketCampaigns, c.Name, c)
	})
}

// pendingToken returns the token the job was spending when the bot
// stopped (claimed, and the send's outcome never written), or nil.
func (b *Bot) pendingToken(j *jobRec) (*tokenRec, error) {
	var pending *tokenRec
	err := b.store.View(func(tx Tx) error {
		toks, err := tokensOf(tx, j.PSID, "")
		for _, t := range toks {
			if t.State == tokSpending && t.Job == j.ID {
				pending = t
			}
		}
		return err
	})
	return pending, err
}

// resume settles a notification whose send with tok was under way when the
// bot stopped (killed between claiming the token and writing the answer):
// the send may or may not have reached Meta. It is made again, with the
// same token, which Meta delivers at most once:
//
//   - accepted: the first send never arrived; delivered now;
//   - refused as already used: the first send was delivered;
//   - refused otherwise (code 100: expired, invalid): not delivered with
//     this token; the notification goes on with the next one, as any
//     refused token does;
//   - transient or rate-limited: retried later, the token still pending;
//   - any other refusal: the notification is not delivered.
//
// The decision the first attempt took (token, not the open window) stands.
func (b *Bot) resume(j *jobRec, tok *tokenRec, now time.Time) error {
	sendErr := b.send(sendAny{Recipient: recipient{Token: tok.Value}, Message: j.Message.wire()})
	out := classify(sendErr)
	if out != outOK {
		b.logf("resumed notification to %s with token %d: %v", j.PSID, tok.Seq, sendErr)
	}
	tok.UsedAt = now
	switch {
	case out == outOK || spentBefore(sendErr):
		tok.State = tokSpent
		return b.finish(j, resViaToken, tok, nil, now)
	case out == outUnknown:
		// The answer was lost again: what the first send did is still
		// unknown, as after any lost answer.
		tok.State = tokSpent
		return b.finish(j, resUncertain, tok, nil, now)
	case out == outTransient || out == outLimited:
		if out == outTransient && j.Attempts+1-j.Limited >= b.cfg.Policy.Retry.MaxAttempts {
			tok.State = tokSpent
			return b.finish(j, resUncertain, tok, nil, now)
		}
		return b.retry(j, nil, out == outLimited, now) // the token stays pending
	}
	if ge, ok := asGraphError(sendErr); ok && ge.Code == 100 {
		tok.State = tokRefused
		if err := b.store.Update(func(tx Tx) error { return tx.Put(bucketTokens, tok.key(), tok) }); err != nil {
			return err
		}
		sub, err := b.subscriber(j.PSID)
		if err != nil {
			return err
		}
		return b.notify(j, sub, now)
	}
	tok.State = tokHeld
	res := resFailed
	var change func(*subscriberRec)
	switch out {
	case outBlocked:
		res, change = resSkipped, func(s *subscriberRec) { s.Blocked = true }
	case outRegion:
		res, change = resSkipped, func(s *subscriberRec) { s.RegionAffected = true }
	}
	return b.finish(j, res, tok, change, now)
}

// spentBefore reports whether err is Meta refusing a token because it was
// already used: fakegraph's message for it (Meta documents none).
func spentBefore(err error) bool {
	ge, ok := asGraphError(err)
	return ok && strings.Contains(ge.Message, "already been used")
}

// recover runs when the bot starts on an existing store. A token that was
// being spent when the bot stopped stays pending with its notification,
// which runs again as soon as it is due (it was) and settles it (resume):
// never sent twice, and counted as delivered only when Meta says so. A
// pending token whose notification is gone cannot be resent: it is
// treated as spent.
func (b *Bot) recover() error {
	var spending []*tokenRec
	err := b.store.View(func(tx Tx) error {
		return tx.Scan(bucketTokens, "", func(_ string, raw []byte) error {
			t := &tokenRec{}
			if err := json.Unmarshal(raw, t); err != nil {
				return fmt.Errorf("store: decode token: %w", err)
			}
			if t.State == tokSpending {
				spending = append(spending, t)
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("recover: %w", err)
	}
	for _, t := range spending {
		found := false
		if err := b.store.View(func(tx Tx) error {
			var err error
			found, err = tx.Get(bucketJobs, seqKey(t.Job), &jobRec{})
			return err
		}); err != nil {
			return fmt.Errorf("recover: %w", err)
		}
		if found {
			b.resumable = true // resumed when its notification runs
			continue
		}
		t.State = tokSpent
		if err := b.store.Update(func(tx Tx) error { return tx.Put(bucketTokens, t.key(), t) }); err != nil {
			return fmt.Errorf("recover: %w", err)
		}
	}
	return nil
}
