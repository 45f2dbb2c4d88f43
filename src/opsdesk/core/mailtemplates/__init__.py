"""Email wording as data: shipped defaults per key and audience (`defaults`), overrides stored as
rows (`models.MailTemplate`, a client's own wording before the audience's), and the one function
every sender calls (`rendering.render`)."""
