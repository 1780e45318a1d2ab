/** What the page tells a person for each way opening or saving a share can fail. */
export function describeError (err: unknown): { title: string, detail: string } {
  const name = (err as Error)?.name ?? ''
  const message = (err as Error)?.message ?? String(err)
  switch (name) {
    case 'KeyMismatchError':
      return { title: 'Wrong key.', detail: 'The key in this link does not open this share. Check that the whole link was copied, including everything after “#”.' }
    case 'KeyRequiredError':
      return { title: 'This link has no key.', detail: 'The key is the part after “#” in the link: ask the sharer for the whole link.' }
    case 'BlockHashMismatchError':
      return { title: 'Tampered data.', detail: 'A block the gateway sent does not match its address (SHA-256): the data was altered on the way or on the server. Nothing unverified was used; the download was stopped.' }
    case 'BlockAuthenticationError':
      return { title: 'Tampered data.', detail: `${message}. The download was stopped.` }
    case 'InvalidManifestError':
    case 'ShareStructureError':
    case 'FolderLimitError':
    case 'UnsafeNameError':
      return { title: 'This share is damaged or was altered.', detail: message }
    case 'UnsupportedVersionError':
      return { title: 'This share needs a newer Veil.', detail: message }
    case 'BlockUnavailableError': {
      const status = (err as { status?: number }).status
      if (status === 404) return { title: 'Unknown share.', detail: 'No node this gateway can reach holds this share (or part of it). Check the link, or ask the sharer to keep a node holding it online.' }
      if (status === 400) return { title: 'Not a Veil address.', detail: message }
      return { title: 'The gateway failed.', detail: message }
    }
    case 'GatewayBusyError':
      return { title: 'The gateway is busy.', detail: message }
    case 'SaveUnsupportedError':
      return { title: 'This browser cannot save the file.', detail: message }
    case 'WrongPasswordError':
      return { title: 'Wrong password.', detail: message }
    case 'PasswordRequiredError':
      return { title: 'This link needs a password.', detail: message }
    case 'ShareExpiredError':
      return { title: 'This share has expired.', detail: `${message}. (Anyone who fetched it before it expired may still have it: expiry cannot take back copies.)` }
    case 'NameNotFoundError':
      return { title: 'This link points nowhere now.', detail: message }
    case 'InvalidNameRecordError':
      return { title: 'This link\'s record is not valid.', detail: message }
    case 'AbortError':
      return { title: 'Cancelled.', detail: 'The download was cancelled.' }
    case 'TypeError':
      return { title: 'The gateway cannot be reached.', detail: message }
  }
  if (name.startsWith('Link') || name === 'InvalidLinkError') return { title: 'This link is malformed.', detail: message }
  return { title: 'Something went wrong.', detail: message }
}
