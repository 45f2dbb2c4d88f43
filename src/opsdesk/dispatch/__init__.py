"""Dispatch: plan engineers' days with a routing solver, check every plan, explain every decision."""
