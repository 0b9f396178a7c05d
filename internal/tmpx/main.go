package main

import (
	"fmt"
	"time"

	"github.com/otnsim/otnsim/extract"
	"github.com/otnsim/otnsim/load"
	"github.com/otnsim/otnsim/load/profile"
	"github.com/otnsim/otnsim/scenarios"
)

func main() {
	p, err := profile.Load("load/profiles/careless-bot.yaml")
	if err != nil {
		panic(err)
	}
	opts := load.NewOptions(2000, 30, 1)
	opts.Profile, opts.ProfileName = p, "load/profiles/careless-bot.yaml"
	t := time.Now()
	rep, err := load.Run(opts)
	if err != nil {
		panic(err)
	}
	fmt.Println("run", time.Since(t), rep.Findings, len(rep.Samples))
	files, err := extract.All(opts, rep, "/tmp/extract/out")
	if err != nil {
		panic(err)
	}
	for _, f := range files {
		t := time.Now()
		res := scenarios.Run(f.Scenario, scenarios.RunOptions{})
		fmt.Println(f.Path, f.Rules, len(f.Scenario.Steps), res.Passed, res.Verdict().Charged("info"), time.Since(t))
		if res.Failure != nil {
			fmt.Println(res.Failure.Problems, res.Failure.Rules)
		}
	}
}
