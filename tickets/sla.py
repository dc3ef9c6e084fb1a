Calendar = None
