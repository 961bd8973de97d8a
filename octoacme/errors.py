class Refused(Exception):
    """A service refused an action the lifecycle, a rule or the current state does not allow.

    The message is written for the person who tried: it names the reason.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
