package clusteraccess

import (
	"context"

	"k8s.io/apiserver/pkg/admission"
)

// Guard wraps the admission chain: while the Checker has a reason why the plugins cannot decide, every
// write is refused 403 with that reason, instead of the plugins' bare "not yet ready to handle request".
// Reads never pass admission and are served as before.
func Guard(chain admission.Interface, checker *Checker) admission.Interface {
	return &guard{chain: chain, checker: checker}
}

type guard struct {
	chain   admission.Interface
	checker *Checker
}

var (
	_ admission.MutationInterface   = &guard{}
	_ admission.ValidationInterface = &guard{}
)

func (g *guard) Handles(operation admission.Operation) bool { return g.chain.Handles(operation) }

func (g *guard) Admit(ctx context.Context, a admission.Attributes, o admission.ObjectInterfaces) error {
	if err := g.checker.Refusal(); err != nil {
		return admission.NewForbidden(a, err)
	}
	if m, ok := g.chain.(admission.MutationInterface); ok {
		return m.Admit(ctx, a, o)
	}
	return nil
}

func (g *guard) Validate(ctx context.Context, a admission.Attributes, o admission.ObjectInterfaces) error {
	if err := g.checker.Refusal(); err != nil {
		return admission.NewForbidden(a, err)
	}
	if v, ok := g.chain.(admission.ValidationInterface); ok {
		return v.Validate(ctx, a, o)
	}
	return nil
}
