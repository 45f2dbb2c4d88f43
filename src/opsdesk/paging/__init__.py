"""Escalation policies, people's notification rules, and the paging engine that stops on acknowledgement."""
